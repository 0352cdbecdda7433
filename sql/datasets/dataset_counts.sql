-- Rows and tasks per config, split and category: the numbers of the dataset card and
-- receipt. A preference pair's category is its two scores, e.g. `accepted > rejected`.
{{ config(command='dataset') }}
SELECT 'sft' AS config, split, quality_score AS category, count(*) AS "rows", count(DISTINCT task_id) AS tasks
FROM dataset_sft GROUP BY ALL
UNION ALL
SELECT 'preference', split,
    regexp_extract(reason, '^chosen scored ''([^'']*)''', 1) || ' > '
        || regexp_extract(reason, 'rejected scored ''([^'']*)''', 1),
    count(*), count(DISTINCT task_id)
FROM dataset_preference GROUP BY ALL
UNION ALL
SELECT 'rag', split, source_category, count(*), count(DISTINCT source_run_id)
FROM dataset_rag GROUP BY ALL
