-- dataset_openai_sft
SELECT split, id, messages FROM dataset_sft
