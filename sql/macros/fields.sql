{#-
  Jinja macro: the values at `paths` of the JSON text `body`, as a list of JSON fragments
  (each minified; NULL where the path is absent). One parse per line. (Spark's body is
  macros/spark/fields.sql.)
-#}
{% macro json_fields(body, paths) -%}
json_extract({{ body }}, {{ lit(paths) }})
{%- endmacro %}
