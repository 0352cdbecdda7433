-- Ids already present in the output files (SPEC section 3, idempotent append). The runner
-- lists the output files that exist (a dry run too: it previews the next run). Only string
-- ids count; a line that is not a JSON object with a string id is ignored here and
-- reported by `health`.
--
-- Kept in the input cache per output file: a run adds the ids of the lines it appends, so
-- the next one reads no line it wrote (the files are read again when anyone else changes
-- them).
{% from 'macros/paths.sql' import root_relative -%}
{% from 'macros/output_rows.sql' import output_rows %}
{{ config(materialized='incremental', files='output_paths', appended=true) }}
SELECT DISTINCT {{ root_relative('filename') }} AS file, json_string(id) AS id
FROM {{ output_rows('output_paths', {'id': 'JSON'}, filename=true) }} AS o
WHERE json_string(id) IS NOT NULL
