{#-
  Jinja macro: the path of a file relative to the root (the run variable root_prefix cut
  off `filename`, a path read_blob or read_json gave); with anywhere=true a file outside
  the root keeps its whole path.
-#}
{% macro root_relative(filename, anywhere=false) -%}
{%- if anywhere -%}
CASE WHEN starts_with({{ filename }}, getvariable('root_prefix'))
    THEN substr({{ filename }}, length(getvariable('root_prefix')) + 1) ELSE {{ filename }} END
{%- else -%}
substr({{ filename }}, length(getvariable('root_prefix')) + 1)
{%- endif -%}
{%- endmacro %}
