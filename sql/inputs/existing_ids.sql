-- Ids already present in the output files (SPEC section 3, idempotent append). The runner
-- lists the output files that exist (a dry run too: it previews the next run). Only string
-- ids count; a line that is not a JSON object with a string id is ignored here and
-- reported by `health`.
{% from 'macros/paths.sql' import root_relative -%}
{% from 'macros/output_rows.sql' import output_rows %}
SELECT DISTINCT {{ root_relative('filename') }} AS file, json_string(id) AS id
FROM {{ output_rows('output_paths', {'id': 'JSON'}, filename=true) }} AS o
WHERE json_string(id) IS NOT NULL
