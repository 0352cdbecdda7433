{#-
  Spark's output_rows (see macros/output_rows.sql): the rows of our own output files as
  columns typed by `columns` ('JSON': the value's fragment; 'VARCHAR': a string value;
  'BIGINT', 'VARCHAR[]'; a mapping: a struct of those), a line that is not a JSON object
  giving no row.
-#}
{% macro output_rows(paths_variable, columns, filename=false, key='id') -%}
{%- if columns is string -%}
{#- (a DuckDB struct of types: only the warehouse and checks, which DuckDB runs) -#}
(SELECT * FROM read_json(getvariable({{ lit(paths_variable) }}), columns = {{ columns }}))
{%- else -%}
(
    SELECT *
    FROM (
        SELECT {% if filename %}filename, {% endif %}
        {%- for name, type in columns.items() %}
            {{ value_at('$.' ~ name, type) }} AS {{ ident(name) }}{{ ',' if not loop.last }}
        {%- endfor %}
        FROM (
            SELECT filename, body, try_parse_json(body) AS v
            FROM (
                SELECT filename, unnest(string_split(CAST(content AS STRING), chr(10))) AS body
                FROM read_blob(getvariable({{ lit(paths_variable) }}))
            )
        )
        WHERE startswith(body, '{')
    )
    WHERE {{ key }} IS NOT NULL
)
{%- endif -%}
{%- endmacro %}

{#- The value at a JSON path of a line (`body`, parsed as `v`) as a column of `type`. -#}
{% macro value_at(path, type) -%}
{%- if type is mapping -%}
    { {%- for field, t in type.items() %}{{ lit(field) }}: {{ value_at(path ~ '.' ~ field, t) }}{{ ', ' if not loop.last }}{% endfor -%} }
{%- elif type == 'JSON' -%}
    CASE schema_of_variant(try_variant_get(v, {{ lit(path) }}))
                WHEN 'STRING' THEN to_json(try_variant_get(v, {{ lit(path) }}))
                ELSE get_json_object(body, {{ lit(path) }}) END
{%- elif type == 'VARCHAR' -%}
    get_json_object(body, {{ lit(path) }})
{%- elif type == 'BIGINT' -%}
    try_variant_get(v, {{ lit(path) }}, 'bigint')
{%- elif type == 'VARCHAR[]' -%}
    try_variant_get(v, {{ lit(path) }}, 'array<string>')
{%- else -%}
    CAST(get_json_object(body, {{ lit(path) }}) AS {{ type }})
{%- endif -%}
{%- endmacro %}
