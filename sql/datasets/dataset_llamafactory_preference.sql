-- OUT/llamafactory/preference.<split>.jsonl: LlamaFactory's sharegpt ranking rows, whose
-- chosen and rejected are one message each, not lists (a list makes it read the row as a
-- plain conversation and drop it).
{{ config(command='dataset', dataset_file='llamafactory/preference.{split}.jsonl') }}
SELECT split, id, prompt AS messages, chosen[1] AS chosen, rejected[1] AS rejected
FROM dataset_preference
