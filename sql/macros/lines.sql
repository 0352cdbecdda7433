{#-
  Jinja macro: the physical lines of a list of files, as rows
      (file, line, body, excerpt)
  file     path relative to the root (the variable root_prefix is cut off); with
           anywhere=true a file outside the root keeps its whole path
  line     0-based index of the physical line (blank lines count)
  body     the line as text, without a file-start BOM and without one trailing CR;
           NULL when the line is not valid UTF-8
  excerpt  for invalid UTF-8 only: the first 200 characters after U+FFFD replacement

  Files that decode as UTF-8 take the fast path (split the text). A file with a bad byte
  anywhere is split in DuckDB's escaped BLOB spelling, where a newline is the four
  characters \x0A and a literal backslash is \x5C, so the split is exact.
-#}
{% from 'macros/line_parts.sql' import line_parts %}
{% from 'macros/paths.sql' import root_relative -%}
{% macro physical_lines(paths_variable, anywhere=false) -%}
(
    -- one pipeline, no CTE read twice (DuckDB would keep every file in memory for the
    -- second reader)
    SELECT file, line,
        CASE
            WHEN NOT utf8 THEN try(decode(bytes))
            WHEN ends_with(body, chr(13)) THEN left(body, length(body) - 1)
            ELSE body
        END AS body,
        CASE WHEN NOT utf8 AND try(decode(bytes)) IS NULL
            THEN left(utf8_lossy(bytes[1:800]), 200) END AS excerpt
    FROM (
        -- a file with a bad byte anywhere is split in the escaped spelling: strip the BOM
        -- (line 0) and one trailing CR there, then turn each line back into bytes
        {% set bytes_of_part %}CAST(regexp_replace(
                CASE WHEN line = 0 THEN regexp_replace(part, '^\\xEF\\xBB\\xBF', '') ELSE part END,
                '\\x0D$', '') AS BLOB){% endset %}
        {{ line_parts(bytes_of_part) }}
        FROM (
            -- select-list unnest: a lateral join would copy the whole file into every row
            SELECT file, utf8, unnest(parts) AS part, generate_subscripts(parts, 1) - 1 AS line
            FROM (
                SELECT file, text IS NOT NULL AS utf8,
                    CASE WHEN text IS NOT NULL THEN string_split(text, chr(10))
                         ELSE string_split(CAST(content AS VARCHAR), '\x0A') END AS parts
                FROM (
                    SELECT {{ root_relative('filename', anywhere) }} AS file,
                        content, try(decode(content)) AS text
                    FROM read_blob(getvariable({{ lit(paths_variable) }}))
                )
            )
        )
    )
)
{%- endmacro %}
