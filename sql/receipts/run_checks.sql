-- The assertions a run checks on its outputs as they will be (the files on disk followed
-- by the new lines it staged), before any file is renamed in: no contamination, ids
-- unique, and each exporter's accounting. A failed one stops the run with nothing written;
-- all of them go into the receipt's validation. One row per assertion. Rows that are merely
-- malformed (a hand-written line without a category, say) are `distill-duck health`'s
-- business; these checks fail the run only for what the firewall promises.
-- The firewall checks read the score of every line, with or without an id: the published
-- relations drop lines without one, and a replaced model (--project) could write such a line.
{% from 'macros/output_rows.sql' import output_rows %}
WITH datasets AS (
    SELECT 'exports/rag/playbooks.jsonl' AS file, count(id) AS rows, count(DISTINCT id) AS ids FROM rag_samples
    UNION ALL
    SELECT 'exports/sft/instruction_response.jsonl', count(id), count(DISTINCT id) FROM sft_samples
    UNION ALL
    SELECT 'exports/preference/chosen_rejected.jsonl', count(id), count(DISTINCT id) FROM preference_pairs
    UNION ALL
    SELECT output_file, count(id), count(DISTINCT id) FROM quarantine GROUP BY output_file
)
SELECT 'sft_firewall' AS name,
    count(*) FILTER (WHERE quality_score IN ('rejected', 'needs_human_review')) = 0 AS passed,
    'SFT rows scored rejected or needs_human_review: '
        || count(*) FILTER (WHERE quality_score IN ('rejected', 'needs_human_review')) AS detail
FROM {{ output_rows('sft_output_paths', "{'quality_score': 'VARCHAR'}", key='quality_score') }}
UNION ALL
SELECT 'rag_firewall', count(*) FILTER (WHERE success_score = 'rejected') = 0,
    'RAG rows scored rejected: ' || count(*) FILTER (WHERE success_score = 'rejected')
FROM {{ output_rows('rag_output_paths', "{'success_score': 'VARCHAR'}", key='success_score') }}
UNION ALL
SELECT 'preference_no_self_pairs', count(*) FILTER (WHERE chosen_run_id = rejected_run_id) = 0,
    'pairs of a run with itself: ' || count(*) FILTER (WHERE chosen_run_id = rejected_run_id)
FROM preference_pairs
UNION ALL
SELECT 'preference_texts_differ', count(*) FILTER (WHERE js_trim(chosen) = js_trim(rejected)) = 0,
    'pairs with identical texts: ' || count(*) FILTER (WHERE js_trim(chosen) = js_trim(rejected))
FROM preference_pairs
UNION ALL
SELECT 'ids_unique:' || file, rows = ids, rows || ' ids, ' || ids || ' distinct' FROM datasets
UNION ALL
-- SPEC 3: every RAG and SFT record is exported, quarantined or skipped_existing (the run
-- binds its summaries; preference counts pairs, not records)
SELECT 'accounting:' || key,
    s.exported + s.quarantined + s.skipped = s.read,
    s.exported + s.quarantined + s.skipped || ' exported+quarantined+skipped_existing, ' || s.read || ' read'
FROM (
    SELECT key,
        CAST(value ->> 'records_exported' AS BIGINT) AS exported,
        CAST(value ->> 'records_quarantined' AS BIGINT) AS quarantined,
        CAST(value ->> 'skipped_existing' AS BIGINT) AS skipped,
        CAST(value ->> 'records_read' AS BIGINT) AS read
    FROM json_each(getvariable('run_summaries'))
    WHERE key <> 'preference'
) AS s
