{#-
  Jinja macro: the hint for a CTE that is read more than once, written `name AS {{ reused() }} (`.
  DuckDB plans such a CTE itself, so its SQL stays as it was (forcing AS MATERIALIZED
  there gained nothing in an A/B export of 60,000 runs); Spark inlines a CTE into every
  read, so there (macros/spark/plan.sql) it is AS MATERIALIZED: computed once, as a view
  of its own.
-#}
{% macro reused() %}{% endmacro %}
