{#-
  Jinja macro: the hint for a CTE that is read more than once, written `name AS {{ reused() }} (`.
  DuckDB decides for itself whether to materialize such a CTE, and forcing it costs more
  than it saves here; Spark inlines a CTE into every read, so there (macros/spark/plan.sql)
  it is AS MATERIALIZED: computed once, as a view of its own.
-#}
{% macro reused() %}{% endmacro %}
