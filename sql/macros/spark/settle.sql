{#-
  Spark's settle (see macros/settle.sql): the same rows (id, exported). Spark has no
  recursive query keyed by id, so the steps are unrolled: each round settles the texts
  whose earlier neighbours are all settled, from the state of the round before. A round
  reads only that state, which carries each text's later neighbours along: a round that
  read the state twice, or the edges again, would make Spark plan the rounds before it
  again, doubling the plan every round. Each round is computed on its own (AS
  MATERIALIZED), and the rounds after the first that settles every text are not computed
  (spark_run: a CTE named <x>_round_<n>). A chain of near duplicates longer than `rounds`,
  each close only to the one before, is not settled; the run then stops with an error
  saying so, rather than guess.
-#}
{% set rounds = 24 %}
{% macro settle(nodes, edges) -%}
WITH s0 AS (
    SELECT n.id, CASE WHEN n.ord.line < 0 OR l.id IS NULL THEN true END AS exported,
        coalesce(o.laters, []::VARCHAR[]) AS laters
    FROM {{ nodes }} AS n
    LEFT JOIN (SELECT DISTINCT later AS id FROM {{ edges }}) AS l ON l.id = n.id
    LEFT JOIN (SELECT earlier, list(later) AS laters FROM {{ edges }} GROUP BY earlier) AS o
        ON o.earlier = n.id
),
{%- for r in range(rounds) %}
settle_round_{{ r + 1 }} AS MATERIALIZED (
    -- (the runner computes no round after one that leaves nothing pending: a settled
    -- state is the same in every round after it)
    SELECT *, exported IS NULL AS pending
    FROM (
        -- each text's own state, and its state as a neighbour of each text after it
        SELECT x.id,
            CASE
                WHEN bool_or(x.own) IS NOT NULL THEN bool_or(x.own)
                WHEN bool_or(coalesce(x.neighbour, false)) THEN false
                WHEN bool_and(x.neighbour IS NOT NULL) FILTER (WHERE x.is_neighbour) THEN true
            END AS exported,
            max(x.laters) AS laters
        FROM (
            SELECT unnest(list_concat(
                [{'id': n.id, 'own': n.exported, 'is_neighbour': false, 'neighbour': NULL::BOOLEAN, 'laters': n.laters}],
                list_transform(n.laters, lambda l: {'id': l, 'own': NULL::BOOLEAN, 'is_neighbour': true,
                                                    'neighbour': n.exported, 'laters': NULL::VARCHAR[]}))) AS x
            FROM {{ 'settle_round_' ~ r if r else 's0' }} AS n
        )
        GROUP BY x.id
    )
),
{%- endfor %}
s AS (SELECT * FROM settle_round_{{ rounds }})
SELECT id, CASE WHEN exported IS NULL THEN raise_error(
    {{ lit('near-duplicate chains longer than ' ~ rounds ~ ' texts cannot be settled on Spark; '
           'run this lakehouse with --engine duckdb') }}) ELSE exported END AS exported
FROM s
{%- endmacro %}
