{#-
  Spark's output_rows (see macros/output_rows.sql): the rows of our own output files as
  columns typed by `columns` ('JSON': the value's fragment; 'VARCHAR': a string value),
  a line that is not a JSON object giving no row.
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
            {%- if type == 'JSON' %}
            CASE schema_of_variant(try_variant_get(v, {{ lit('$.' ~ name) }}))
                WHEN 'STRING' THEN to_json(try_variant_get(v, {{ lit('$.' ~ name) }}))
                ELSE get_json_object(body, {{ lit('$.' ~ name) }}) END AS {{ ident(name) }}
            {%- else %}
            get_json_object(body, {{ lit('$.' ~ name) }}) AS {{ ident(name) }}
            {%- endif %}{{ ',' if not loop.last }}
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
