-- `distill-duck health` (SPEC section 11): what is wrong with the output files on disk,
-- one row per violation. Reads the files as they are; changes nothing.
{% from 'macros/lines.sql' import physical_lines %}
{% set dataset_keys = {
    'exports/rag/playbooks.jsonl': ['schema_version', 'id', 'title', 'content', 'tags', 'source_run_id',
        'success_score', 'source_category', 'embedding_text', 'created_at', 'provenance'],
    'exports/sft/instruction_response.jsonl': ['schema_version', 'id', 'instruction', 'context', 'response',
        'source_run_id', 'quality_score', 'created_at', 'provenance'],
    'exports/preference/chosen_rejected.jsonl': ['schema_version', 'id', 'prompt', 'chosen', 'rejected',
        'reason', 'chosen_run_id', 'rejected_run_id', 'created_at', 'provenance'],
} %}
{% set prefixes = {
    'exports/rag/playbooks.jsonl': 'rag-',
    'exports/sft/instruction_response.jsonl': 'sft-',
    'exports/preference/chosen_rejected.jsonl': 'pref-',
} %}
{% set quarantine_keys = ['id', 'exporter', 'reason', 'errors', 'input', 'source_record',
                          'source_provenance', 'recorded_at'] %}
{% set reasons = ['missing_provenance', 'missing_source_run_id', 'empty_content', 'schema_violation',
    'unsafe_sft_category', 'unsafe_rag_category', 'invalid_preference_pairing', 'hallucinated_file_path',
    'duplicate_id', 'self_pairing', 'category_disallowed',
    'secret_detected', 'duplicate_content', 'near_duplicate', 'benchmark_contamination'] %}
WITH physical AS (
    SELECT file, line, body, max(line) OVER (PARTITION BY file) AS last_line
    FROM {{ physical_lines('output_paths') }} AS p
),
lines AS (
    SELECT *,
        CASE
            WHEN body IS NULL THEN 'not valid UTF-8'
            WHEN body = '' AND line = last_line THEN NULL
            WHEN body = '' THEN 'blank line'
            WHEN NOT strict_json_valid(body) THEN 'not JSON'
            WHEN json_type(body) <> 'OBJECT' THEN 'not a JSON object'
        END AS line_problem,
        line = last_line AND coalesce(body, 'x') <> '' AS torn
    FROM physical
),
objects AS (
    SELECT file, line, body,
        json_keys(body) AS keys,
        json_string(json_extract(body, '$.id')) AS id,
        starts_with(file, 'exports/quarantine/') AS is_quarantine
    FROM lines
    WHERE line_problem IS NULL AND NOT (body = '' AND line = last_line)
),
checks AS (
    -- dataset rows: schema, validation rules and the firewall
    SELECT file, line, unnest(list_filter([
        CASE {% for f, keys in dataset_keys.items() %}WHEN file = {{ lit(f) }} AND keys <> {{ lit(keys) }}
            THEN 'keys are ' || array_to_string(keys, ',') || ', expected ' || {{ lit(keys | join(',')) }}
            {% endfor %} END,
        CASE WHEN coalesce(json_extract(body, '$.schema_version')::VARCHAR, '') <> '1' THEN 'schema_version is not 1' END,
        CASE {% for f, prefix in prefixes.items() %}WHEN file = {{ lit(f) }}
            AND NOT regexp_full_match(coalesce(id, ''), {{ lit(prefix ~ '[0-9a-f]{16}') }})
            THEN 'id ' || coalesce(id, 'missing') || ' is not ' || {{ lit(prefix) }} || ' + 16 hex'
            {% endfor %} END,
        CASE WHEN NOT has_content(json_string(json_extract(body, '$.provenance.source_file')))
            THEN 'provenance.source_file is empty' END,
        CASE WHEN NOT has_content(json_string(json_extract(body, '$.provenance.sig_hash')))
            THEN 'provenance.sig_hash is empty' END,
        CASE WHEN coalesce(json_int64(json_extract(body, '$.provenance.line_offset')) < 0, true)
            THEN 'provenance.line_offset is not an integer >= 0' END,
        -- the firewall, checked on what is on disk
        CASE WHEN file = 'exports/sft/instruction_response.jsonl' AND NOT coalesce(list_contains(
                ['accepted', 'partially_accepted'], json_string(json_extract(body, '$.quality_score'))), false)
            THEN 'FIREWALL: quality_score ' || coalesce(json_extract(body, '$.quality_score')::VARCHAR, 'missing')
                || ' is forbidden in SFT' END,
        CASE WHEN file = 'exports/rag/playbooks.jsonl' AND NOT coalesce(list_contains(
                ['accepted', 'partially_accepted', 'needs_human_review'],
                json_string(json_extract(body, '$.success_score'))), false)
            THEN 'FIREWALL: success_score ' || coalesce(json_extract(body, '$.success_score')::VARCHAR, 'missing')
                || ' is not allowed in RAG' END,
        CASE WHEN file = 'exports/rag/playbooks.jsonl' AND (
                NOT has_content(json_string(json_extract(body, '$.title')))
                OR NOT has_content(json_string(json_extract(body, '$.content')))
                OR NOT has_content(json_string(json_extract(body, '$.source_run_id'))))
            THEN 'title, content and source_run_id must be non-empty' END,
        CASE WHEN file = 'exports/sft/instruction_response.jsonl' AND (
                NOT has_content(json_string(json_extract(body, '$.instruction')))
                OR NOT has_content(json_string(json_extract(body, '$.response')))
                OR NOT has_content(json_string(json_extract(body, '$.source_run_id'))))
            THEN 'instruction, response and source_run_id must be non-empty' END,
        CASE WHEN file = 'exports/preference/chosen_rejected.jsonl'
                AND json_string(json_extract(body, '$.chosen_run_id'))
                    = json_string(json_extract(body, '$.rejected_run_id'))
            THEN 'pairs run ' || json_string(json_extract(body, '$.chosen_run_id')) || ' with itself' END,
        CASE WHEN file = 'exports/preference/chosen_rejected.jsonl'
                AND js_trim(json_string(json_extract(body, '$.chosen')))
                    = js_trim(json_string(json_extract(body, '$.rejected')))
            THEN 'chosen and rejected texts are identical' END,
        CASE WHEN file = 'exports/preference/chosen_rejected.jsonl' AND (
                NOT has_content(json_string(json_extract(body, '$.prompt')))
                OR NOT has_content(json_string(json_extract(body, '$.chosen')))
                OR NOT has_content(json_string(json_extract(body, '$.rejected')))
                OR NOT has_content(json_string(json_extract(body, '$.reason'))))
            THEN 'prompt, chosen, rejected and reason must be non-empty' END
    ], lambda m: m IS NOT NULL)) AS message
    FROM objects
    WHERE NOT is_quarantine
    UNION ALL
    -- quarantine rows: well-formed, with a reason from the taxonomy
    SELECT file, line, unnest(list_filter([
        CASE WHEN keys <> {{ lit(quarantine_keys) }}
            THEN 'keys are ' || array_to_string(keys, ',') || ', expected ' || {{ lit(quarantine_keys | join(',')) }} END,
        CASE WHEN NOT regexp_full_match(coalesce(id, ''), 'q-[0-9a-f]{16}')
            THEN 'id ' || coalesce(id, 'missing') || ' is not q- + 16 hex' END,
        CASE WHEN 'exports/quarantine/' || coalesce(json_string(json_extract(body, '$.exporter')), '') || '.jsonl' <> file
            THEN 'exporter does not match the file' END,
        CASE WHEN NOT coalesce(list_contains({{ lit(reasons) }}, json_string(json_extract(body, '$.reason'))), false)
            THEN 'reason is not one of the 15 quarantine reasons' END,
        CASE WHEN coalesce(len(json_strings(json_extract(body, '$.errors'))), 0) = 0
            THEN 'errors must be a non-empty array of strings' END,
        CASE WHEN json_string(json_extract(body, '$.input.file')) IS NULL
                OR coalesce(json_int64(json_extract(body, '$.input.line')) < 0, true)
            THEN 'input must be {file, line}' END,
        CASE WHEN coalesce(json_type(json_extract(body, '$.source_record')), '') <> 'OBJECT'
            THEN 'source_record must be an object' END
    ], lambda m: m IS NOT NULL)) AS message
    FROM objects
    WHERE is_quarantine
)
SELECT file, line, 'line' AS check_name, line_problem AS message FROM lines WHERE line_problem IS NOT NULL
UNION ALL
SELECT file, line, 'torn', 'last line has no newline (a crash mid-write?); the next export run repairs it'
FROM lines WHERE torn
UNION ALL
SELECT file, line, 'schema', message FROM checks
UNION ALL
SELECT file, line, 'unique_id', 'id ' || id || ' appears ' || n || ' times in this file'
FROM (SELECT file, line, id, count(*) OVER (PARTITION BY file, id) AS n FROM objects WHERE id IS NOT NULL)
WHERE n > 1
ORDER BY file, line, check_name
