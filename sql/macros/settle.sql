{#-
  Jinja macro: which of `nodes` (id, ord; see band_candidates) are exported when each is
  refused for being close to an earlier exported one (`edges`: earlier, later), as rows
  (id, exported). The texts are settled in input order, so a refused text refuses none
  after it: a recursive query, keyed by id, that settles in each step the texts whose
  earlier neighbours are all settled. (Spark's body is macros/spark/settle.sql.)
-#}
{% macro settle(nodes, edges) -%}
WITH RECURSIVE st(id, exported) USING KEY (id) AS (
    SELECT id, CASE WHEN ord.line < 0 OR id NOT IN (SELECT later FROM {{ edges }}) THEN true END FROM {{ nodes }}
    UNION
    SELECT u.id, NOT bool_or(coalesce(s.exported, false))
    FROM recurring.st AS u
    JOIN {{ edges }} AS e ON e.later = u.id
    JOIN recurring.st AS s ON s.id = e.earlier
    WHERE u.exported IS NULL
    GROUP BY u.id
    HAVING bool_or(coalesce(s.exported, false)) OR bool_and(s.exported IS NOT NULL)
)
SELECT * FROM st
{%- endmacro %}
