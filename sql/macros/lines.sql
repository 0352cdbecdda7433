{#-
  Jinja macro: the physical lines of a list of files, as rows
      (file, line, body, excerpt)
  file     path relative to the root (the variable root_prefix is cut off)
  line     0-based index of the physical line (blank lines count)
  body     the line as text, without a file-start BOM and without one trailing CR;
           NULL when the line is not valid UTF-8
  excerpt  for invalid UTF-8 only: the first 200 characters after U+FFFD replacement

  Files that decode as UTF-8 take the fast path (split the text). A file with a bad byte
  anywhere is split in DuckDB's escaped BLOB spelling, where a newline is the four
  characters \x0A and a literal backslash is \x5C, so the split is exact.
-#}
{% macro physical_lines(paths_variable) -%}
(
    WITH blobs AS (
        SELECT
            substr(filename, length(getvariable('root_prefix')) + 1) AS file,
            content,
            try(decode(content)) AS utf8
        FROM read_blob(getvariable({{ lit(paths_variable) }}))
    ),
    -- select-list unnest: a lateral join would copy the whole file into every line's row
    utf8_lines AS (
        SELECT file, unnest(parts) AS part, generate_subscripts(parts, 1) - 1 AS line
        FROM (SELECT file, string_split(utf8, chr(10)) AS parts FROM blobs WHERE utf8 IS NOT NULL)
    ),
    escaped_lines AS (
        SELECT file, line,
            -- strip the BOM (line 0) and one trailing CR in the escaped spelling
            CAST(regexp_replace(
                CASE WHEN line = 0 THEN regexp_replace(part, '^\\xEF\\xBB\\xBF', '') ELSE part END,
                '\\x0D$', '') AS BLOB) AS bytes
        FROM (
            SELECT file, unnest(parts) AS part, generate_subscripts(parts, 1) - 1 AS line
            FROM (SELECT file, string_split(CAST(content AS VARCHAR), '\x0A') AS parts
                  FROM blobs WHERE utf8 IS NULL)
        )
    )
    SELECT file, line,
        CASE WHEN ends_with(body, chr(13)) THEN left(body, length(body) - 1) ELSE body END AS body,
        NULL::VARCHAR AS excerpt
    FROM (
        SELECT file, line,
            CASE WHEN line = 0 AND starts_with(part, chr(65279)) THEN substr(part, 2) ELSE part END AS body
        FROM utf8_lines
    )
    UNION ALL
    SELECT file, line, try(decode(bytes)) AS body,
        CASE WHEN try(decode(bytes)) IS NULL THEN left(utf8_lossy(bytes[1:800]), 200) END AS excerpt
    FROM escaped_lines
)
{%- endmacro %}
