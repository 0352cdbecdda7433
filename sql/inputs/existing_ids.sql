-- Ids already present in the output files (SPEC section 3, idempotent append). The runner
-- lists the output files that exist (none on a dry run); a line that is not a JSON object
-- with a string id is ignored here and reported by `distill-duck health`.
{% from 'macros/lines.sql' import physical_lines %}
SELECT DISTINCT file, json_string(json_extract(body, '$.id')) AS id
FROM {{ physical_lines('output_paths') }} AS o
WHERE body IS NOT NULL AND strict_json_valid(body) AND json_type(body) = 'OBJECT'
    AND json_string(json_extract(body, '$.id')) IS NOT NULL
