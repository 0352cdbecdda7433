-- dataset_tasks
SELECT 'sft' AS config, split, COUNT(DISTINCT task_id) AS tasks FROM dataset_sft GROUP BY ALL UNION ALL SELECT 'preference', split, COUNT(DISTINCT task_id) FROM dataset_preference GROUP BY ALL
