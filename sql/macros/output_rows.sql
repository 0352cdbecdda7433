{#-
  Jinja macro: the rows of our own output files (listed in a variable) with DuckDB's
  streaming JSON reader, typed by `columns`: a mapping of name to DuckDB type (a mapping
  in place of a type is a struct of those), or a DuckDB struct literal of types. Output
  files grow with every run, so they are never read whole; a line that is not a JSON
  object of that shape comes back as a row of NULLs and is dropped here (`distill-duck
  health` names it). A row over 32 MB stops the run with DuckDB's error naming the file
  (the reader holds two such buffers per thread). The variable always holds at least an
  empty file, because read_json needs one. (Spark's body is macros/spark/output_rows.sql.)
-#}
{% macro output_rows(paths_variable, columns, filename=false, key='id') -%}
(
    SELECT *
    FROM read_json(getvariable({{ lit(paths_variable) }}), columns = {{ columns if columns is string else column_types(columns) }},
                   format = 'newline_delimited', records = true, ignore_errors = true,
                   {% if filename %}filename = true, {% endif %}maximum_object_size = 33554432)
    WHERE {{ key }} IS NOT NULL
)
{%- endmacro %}

{#- A mapping of names to types as read_json's `columns`: a struct literal of type names. -#}
{% macro column_types(columns) -%}
{ {%- for name, type in columns.items() %}{{ lit(name) }}: {{ lit(type_name(type)) }}{{ ', ' if not loop.last }}{% endfor -%} }
{%- endmacro %}

{% macro type_name(type) -%}
{%- if type is mapping -%}
STRUCT({% for field, t in type.items() %}{{ field }} {{ type_name(t) }}{{ ', ' if not loop.last }}{% endfor %})
{%- else -%}
{{ type }}
{%- endif -%}
{%- endmacro %}
