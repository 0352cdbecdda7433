{#-
  Jinja macro, both engines' physical_lines (macros/lines.sql, macros/spark/lines.sql):
  one split line's text, without a file-start BOM, when its file is UTF-8, and otherwise
  its bytes as `bytes_of_part` (the engine's own spelling) makes them from `part`.
-#}
{% macro line_parts(bytes_of_part) -%}
SELECT file, line, utf8,
            CASE WHEN utf8 THEN
                CASE WHEN line = 0 AND starts_with(part, chr(65279)) THEN substr(part, 2) ELSE part END
            END AS body,
            CASE WHEN NOT utf8 THEN {{ bytes_of_part }} END AS bytes
{%- endmacro %}
