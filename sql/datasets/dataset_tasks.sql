-- Distinct tasks per config and split (the card's and the receipt's task counts).
{{ config(command='dataset') }}
SELECT 'sft' AS config, split, count(DISTINCT task_id) AS tasks FROM dataset_sft GROUP BY ALL
UNION ALL
SELECT 'preference', split, count(DISTINCT task_id) FROM dataset_preference GROUP BY ALL
