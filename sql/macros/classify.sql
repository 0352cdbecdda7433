{#-
  Jinja macro: keep the non-blank lines of a physical_lines relation and classify each as
  a JSON object or an input error:
      (file, line, body, is_object, error, excerpt)
  excerpt: the first 200 characters, for error lines only.
-#}
{% macro classify_lines(lines_relation, noun) -%}
SELECT file, line, body,
    error IS NULL AS is_object,
    error,
    CASE WHEN error IS NOT NULL THEN coalesce(excerpt, left(body, 200)) END AS excerpt
FROM (
    SELECT file, line, body, excerpt,
        CASE
            WHEN body IS NULL THEN {{ lit(noun ~ ' not valid UTF-8') }}
            WHEN NOT strict_json_valid(body) THEN {{ lit(noun ~ ' not JSON') }}
            -- valid JSON starting with "{" is an object: no second parse needed
            WHEN NOT starts_with(ltrim(body, chr(32) || chr(9) || chr(13) || chr(10)), '{')
                THEN {{ lit(noun ~ ' not a JSON object') }}
        END AS error
    FROM {{ lines_relation }} AS physical
    WHERE body IS NULL OR has_content(body)
)
{%- endmacro %}
