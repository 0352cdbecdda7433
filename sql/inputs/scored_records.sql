{{ config(materialized='incremental', files='scored_paths') }}
{% from 'macros/fields.sql' import json_fields %}
-- (incremental: rows are kept per partition file in .distill_duck/input_cache.duckdb; a run
-- parses only new or changed files, see distill_duck/input_cache.py)
-- Every record (non-blank scored line): its fields read under the SPEC 2.2 type rule, or
-- why it is not a JSON object (then also quarantined by RAG and SFT as schema_violation).
SELECT
    file,
    line,
    is_object,
    error,
    excerpt,
    substr(file, length('data/scored-runs/') + 1) AS partition,
    CASE WHEN is_object THEN json_min(body) END AS record,
    json_string(f[1]) AS evidence_run_id,
    json_string(f[2]) AS evidence_task_id,
    json_string(f[3]) AS category,
    json_strings(f[4]) AS reasons,
    CASE WHEN json_is_object(f[5]) THEN json_min(f[5]) END AS provenance,
    json_string(f[6]) AS provenance_source_file,
    json_string(f[7]) AS provenance_sig_hash,
    json_int64(f[8]) AS provenance_line_offset,
    -- raw values, copied into output rows as they were read
    json_out(f[6]) AS provenance_source_file_json,
    json_out(f[7]) AS provenance_sig_hash_json,
    json_out(f[8]) AS provenance_line_offset_json
FROM (
    SELECT file, line, is_object, error, excerpt, body, CASE WHEN is_object THEN {{ json_fields('body', [
        '$.evidence_run_id', '$.evidence_task_id', '$.category', '$.reasons', '$.provenance',
        '$.provenance.source_file', '$.provenance.sig_hash', '$.provenance.line_offset']) }} END AS f
    FROM scored_lines
)
