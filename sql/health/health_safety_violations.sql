-- `distill-duck health`, SPEC 12.6: dataset rows on disk that a default safety gate would
-- now refuse, so a lakehouse exported before the gates existed (or with them off) can be
-- audited. One row per violation, named after the gate (the quarantine reason). Rows are
-- numbered like the file's lines (0-based) because output files hold one row a line.
{% from 'macros/output_rows.sql' import output_rows %}
{% from 'safety/secret_patterns.sql' import secret_patterns %}
{% set full = [] %}
{% for kind, before, secret, after in secret_patterns %}
{% set _ = full.append('(' ~ before ~ ')(' ~ secret ~ ')(' ~ after ~ ')') %}
{% endfor %}
WITH texts AS (
    SELECT file, line, id, field, text
    FROM (
        SELECT substr(filename, length(getvariable('root_prefix')) + 1) AS file,
            row_number() OVER (PARTITION BY filename ORDER BY ordinality) - 1 AS line,
            id, content, response, chosen, rejected
        FROM (
            SELECT *, row_number() OVER () AS ordinality
            FROM {{ output_rows('output_paths',
                "{'id': 'VARCHAR', 'content': 'VARCHAR', 'response': 'VARCHAR', 'chosen': 'VARCHAR', 'rejected': 'VARCHAR'}",
                filename=true) }}
        )
    )
    UNPIVOT (text FOR field IN (content, response, chosen, rejected))
    WHERE NOT starts_with(file, 'exports/quarantine/')
),
secrets AS (
    SELECT file, line, 'secret_detected' AS check_name,
        field || ' holds ' || array_to_string(list_filter([
{%- for kind, before, secret, after in secret_patterns %}
            CASE WHEN regexp_matches(text, {{ lit(full[loop.index0]) }}) THEN {{ lit(kind) }} END{{ ',' if not loop.last }}
{%- endfor %}
        ], lambda k: k IS NOT NULL), ', ') || ' (the secret gate would quarantine this row now)' AS message
    FROM texts
    WHERE regexp_matches(text, {{ lit(full | join('|')) }})
),
keyed AS (
    SELECT file, line, id, content_key(text) AS k FROM texts WHERE field IN ('content', 'response')
    UNION ALL
    SELECT file, line, id, hash(content_key(first(text ORDER BY field)), content_key(last(text ORDER BY field)))
    FROM texts WHERE field IN ('chosen', 'rejected') GROUP BY file, line, id
),
duplicates AS (
    SELECT file, line, 'duplicate_content' AS check_name,
        'same content as ' || first_id || ' (line ' || first_line || '); the duplicate gate would quarantine it' AS message
    FROM (
        SELECT *, first_value(id) OVER w AS first_id, first_value(line) OVER w AS first_line
        FROM keyed
        WINDOW w AS (PARTITION BY file, k ORDER BY line)
    )
    WHERE line > first_line
)
SELECT * FROM secrets
UNION ALL
SELECT * FROM duplicates
