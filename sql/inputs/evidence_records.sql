{{ config(materialized='incremental', files='evidence_paths') }}
{% from 'macros/fields.sql' import json_fields %}
-- (incremental: rows are kept per partition file in .distill_duck/input_cache.duckdb; a run
-- parses only new or changed files, see distill_duck/input_cache.py)
-- Every non-blank evidence line: its fields read under the SPEC 2.1 type rule (a field of
-- the wrong JSON type reads as absent), or why it is not a usable record (SPEC section 7:
-- not UTF-8, not JSON, not an object, no non-empty string run_id). One JSON parse per line.
SELECT
    file,
    line,
    CASE
        WHEN error IS NOT NULL THEN error
        WHEN coalesce(json_string(f[1]), '') = '' THEN 'evidence without a non-empty string run_id'
    END AS error,
    CASE
        WHEN error IS NOT NULL THEN excerpt
        WHEN coalesce(json_string(f[1]), '') = '' THEN left(body, 200)
    END AS excerpt,
    -- the relative path P of data/evidence/P, which pairs it with data/scored-runs/P
    substr(file, length('data/evidence/') + 1) AS partition,
    json_string(f[1]) AS run_id,
    coalesce(json_string(f[2]), '') AS task_id,
    json_string(f[3]) AS text,
    coalesce(json_string(f[4]), '') AS model_role,
    coalesce(json_string(f[5]), '') AS model_name,
    json_strings(f[6]) AS source_files,
    json_strings(f[7]) AS matrix_corpora,
    json_int64(f[8]) AS pathway_fingerprints_seen,
    json_string(f[9]) AS contractor,
    json_string(f[10]) AS provenance_source_file
FROM (
    SELECT file, line, error, excerpt, body, CASE WHEN is_object THEN {{ json_fields('body', [
        '$.run_id', '$.task_id', '$.text', '$.model_role', '$.model_name', '$.source_files',
        '$.retrieved_context.matrix_corpora', '$.retrieved_context.pathway_fingerprints_seen',
        '$.metadata.contractor', '$.provenance.source_file']) }} END AS f
    FROM evidence_lines
)
