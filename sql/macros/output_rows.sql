{#-
  Jinja macro: the JSON-object lines of the output files listed in a variable, as
      (output_file, output_line, body)
  Lines that are not JSON objects are left out here; `distill-duck health` reports them.
-#}
{% from 'macros/lines.sql' import physical_lines %}
{% macro output_rows(paths_variable) -%}
(
    SELECT file AS output_file, line AS output_line, body
    FROM {{ physical_lines(paths_variable) }} AS o
    WHERE body IS NOT NULL AND strict_json_valid(body) AND json_type(body) = 'OBJECT'
)
{%- endmacro %}
