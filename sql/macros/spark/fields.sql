{#-
  Spark's json_fields (see macros/fields.sql): the same fragments. A string is written
  back from the parsed value and anything else by get_json_object, which keeps document
  order (a variant would sort an object's keys). Spark arrays are 0-based in the
  generated SQL; the models index them 1-based as DuckDB does, and sqlglot shifts them.
-#}
{% macro json_fields(body, paths) -%}
transform(array(try_parse_json({{ body }})), v -> array(
{%- for p in paths %}
    CASE schema_of_variant(try_variant_get(v, {{ lit(p) }}))
        WHEN 'STRING' THEN to_json(try_variant_get(v, {{ lit(p) }}))
        WHEN 'VOID' THEN 'null'
        ELSE get_json_object({{ body }}, {{ lit(p) }})
    END{{ ',' if not loop.last }}
{%- endfor %}))[1]
{%- endmacro %}
