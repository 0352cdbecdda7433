{#- Spark's reused() (see macros/plan.sql): a CTE read more than once is computed once. -#}
{% macro reused() %}MATERIALIZED{% endmacro %}
