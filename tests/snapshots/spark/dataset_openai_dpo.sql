-- dataset_openai_dpo
SELECT split, id, STRUCT(prompt AS messages) AS `input`, chosen AS preferred_output, rejected AS non_preferred_output FROM dataset_preference
