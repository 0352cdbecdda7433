-- `distill-duck health` (SPEC section 11): what is wrong with the output files on disk,
-- one row per violation. Reads the files as they are (health_lines); changes nothing.
-- Everything here works on narrow rows (no texts), so the windows stay small.
{{ config(command='health') }}
WITH numbered AS (
    SELECT *,
        -- streamed rows are numbered across files in scan order: a file's first row is line 0
        coalesce(exact_line, seq - min(seq) OVER (PARTITION BY file)) AS line
    FROM health_lines
),
lines AS (
    SELECT *, max(line) OVER (PARTITION BY file) AS last_line,
        list_contains(getvariable('health_unterminated'), file) AS unterminated
    FROM numbered
)
SELECT file, line, 'line' AS check_name, line_problem AS message FROM lines WHERE line_problem IS NOT NULL
UNION ALL
-- the exact split of a file ending in a newline yields one empty element after it: not a line
SELECT file, line, 'line', 'blank line' FROM lines
WHERE blank AND NOT (exact_line IS NOT NULL AND line = last_line AND NOT unterminated)
UNION ALL
SELECT file, line, 'torn', 'last line has no newline (a crash mid-write?); the next export run repairs it'
FROM lines WHERE unterminated AND line = last_line
UNION ALL
SELECT file, line, 'schema', unnest(messages) FROM lines
UNION ALL
SELECT file, line, 'secret_detected', unnest(secrets) FROM lines
UNION ALL
SELECT file, line, 'duplicate_content',
    'same content as ' || first_id || ' (line ' || first_line || '); the duplicate gate would quarantine it'
FROM (
    SELECT *, first_value(id) OVER w AS first_id, first_value(line) OVER w AS first_line
    FROM (SELECT file, line, id, unnest(content_keys) AS k FROM lines)
    WINDOW w AS (PARTITION BY file, k ORDER BY line)
)
WHERE line > first_line
UNION ALL
SELECT file, line, 'unique_id', 'id ' || id || ' appears ' || n || ' times in this file'
FROM (SELECT file, line, id, count(*) OVER (PARTITION BY file, id) AS n FROM lines WHERE id IS NOT NULL)
WHERE n > 1
ORDER BY file, line, check_name
