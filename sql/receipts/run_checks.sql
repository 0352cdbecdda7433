-- The assertions a run checks on its outputs after writing them (the receipt's
-- validation_pass): the firewall holds in the files on disk, ids are unique, every line is
-- a row, and the accounting adds up. One row per assertion.
WITH datasets AS (
    SELECT 'exports/rag/playbooks.jsonl' AS file, count(*) AS rows, count(DISTINCT id) AS ids FROM rag_samples
    UNION ALL
    SELECT 'exports/sft/instruction_response.jsonl', count(*), count(DISTINCT id) FROM sft_samples
    UNION ALL
    SELECT 'exports/preference/chosen_rejected.jsonl', count(*), count(DISTINCT id) FROM preference_pairs
    UNION ALL
    SELECT output_file, count(*), count(DISTINCT id) FROM quarantine GROUP BY output_file
),
summaries AS (
    SELECT exporter, records_read, records_exported, records_quarantined, skipped_existing FROM rag_summary
    UNION ALL
    SELECT exporter, records_read, records_exported, records_quarantined, skipped_existing FROM sft_summary
)
SELECT 'sft_firewall' AS name,
    count(*) FILTER (WHERE quality_score IS NULL OR quality_score NOT IN ('accepted', 'partially_accepted')) = 0
        AS passed,
    'SFT rows with a quality_score other than accepted/partially_accepted: '
        || count(*) FILTER (WHERE quality_score IS NULL OR quality_score NOT IN ('accepted', 'partially_accepted'))
        AS detail
FROM sft_samples
UNION ALL
SELECT 'rag_firewall',
    count(*) FILTER (WHERE success_score IS NULL OR success_score = 'rejected'
                     OR success_score NOT IN ('accepted', 'partially_accepted', 'needs_human_review')) = 0,
    'RAG rows rejected or of an unknown category: '
        || count(*) FILTER (WHERE success_score IS NULL OR success_score = 'rejected'
                            OR success_score NOT IN ('accepted', 'partially_accepted', 'needs_human_review'))
FROM rag_samples
UNION ALL
SELECT 'preference_no_self_pairs', count(*) FILTER (WHERE chosen_run_id = rejected_run_id) = 0,
    'pairs of a run with itself: ' || count(*) FILTER (WHERE chosen_run_id = rejected_run_id)
FROM preference_pairs
UNION ALL
SELECT 'preference_texts_differ',
    count(*) FILTER (WHERE js_trim(chosen) = js_trim(rejected) OR NOT has_content(chosen)
                     OR NOT has_content(rejected)) = 0,
    'pairs with identical or empty texts: '
        || count(*) FILTER (WHERE js_trim(chosen) = js_trim(rejected) OR NOT has_content(chosen)
                            OR NOT has_content(rejected))
FROM preference_pairs
UNION ALL
SELECT 'ids_unique:' || file, rows = ids, rows || ' rows, ' || ids || ' distinct ids' FROM datasets
UNION ALL
SELECT 'accounting:' || exporter, records_exported + records_quarantined + skipped_existing = records_read,
    records_exported || ' exported + ' || records_quarantined || ' quarantined + ' || skipped_existing
        || ' skipped_existing vs ' || records_read || ' read'
FROM summaries
