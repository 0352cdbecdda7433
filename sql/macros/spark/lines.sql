{#-
  Spark's physical_lines (see macros/lines.sql): the same rows
      (file, line, body, excerpt)
  read_blob(...) is Spark's binaryFile source (the runner registers it). A file that is
  valid UTF-8 is split as text; a file with a bad byte anywhere is split in hex, two
  characters a byte, so that each line's bytes can be checked on their own.
-#}
{% from 'macros/line_parts.sql' import line_parts %}
{% from 'macros/paths.sql' import root_relative -%}
{% macro physical_lines(paths_variable, anywhere=false) -%}
(
    SELECT file, line,
        CASE
            WHEN NOT utf8 THEN CASE WHEN is_valid_utf8(bytes) THEN CAST(bytes AS STRING) END
            WHEN endswith(body, chr(13)) THEN left(body, length(body) - 1)
            ELSE body
        END AS body,
        CASE WHEN NOT utf8 AND NOT is_valid_utf8(bytes)
            THEN left(make_valid_utf8(substr(bytes, 1, 800)), 200) END AS excerpt
    FROM (
        {% set bytes_of_part %}unhex(regexp_replace(
                CASE WHEN line = 0 THEN regexp_replace(part, '^EFBBBF', '') ELSE part END,
                '^((?:[0-9A-F]{2})*?)0D$', '$1', 'g')){% endset %}
        {{ line_parts(bytes_of_part) }}
        FROM (
            SELECT file, utf8, lp.part AS part, lp.line AS line
            FROM (
                SELECT file, utf8, unnest(list_transform(parts, lambda p, i: {'line': i - 1, 'part': p})) AS lp
                FROM (
                SELECT file, utf8,
                    CASE WHEN utf8 THEN string_split(CAST(content AS STRING), chr(10))
                         ELSE regexp_extract_all(hex(content) || '0A', '((?:[0-9A-F]{2})*?)0A', 1) END AS parts
                FROM (
                    SELECT {{ root_relative('filename', anywhere) }} AS file,
                        content, is_valid_utf8(content) AS utf8
                    FROM read_blob(getvariable({{ lit(paths_variable) }}))
                )
                )
            )
        )
    )
)
{%- endmacro %}
