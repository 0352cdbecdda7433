-- OUT/openai/dpo.<split>.jsonl: the OpenAI-style preference layout.
{{ config(command='dataset', dataset_file='openai/dpo.{split}.jsonl') }}
SELECT
    split, id,
    {'messages': prompt} AS "input",
    chosen AS preferred_output,
    rejected AS non_preferred_output
FROM dataset_preference
