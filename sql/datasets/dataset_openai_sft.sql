-- OUT/openai/sft.<split>.jsonl: the OpenAI-style chat fine-tuning layout, `messages` only.
{{ config(command='dataset', dataset_file='openai/sft.{split}.jsonl') }}
SELECT split, id, messages FROM dataset_sft
