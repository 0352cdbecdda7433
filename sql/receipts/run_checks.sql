-- The assertions a run checks on its outputs as they will be (the files on disk followed
-- by the new lines it staged), before any file is renamed in: no contamination, ids
-- unique, and each exporter's accounting. A failed one stops the run with nothing written;
-- all of them go into the receipt's validation. One row per assertion. Rows that are merely
-- malformed (a hand-written line without a category, say) are `distill-duck health`'s
-- business; these checks fail the run only for what the firewall promises.
-- The firewall checks read the score of every line, with or without an id: the published
-- relations drop lines without one, and a replaced model (--project) could write such a line.
{% from 'macros/output_rows.sql' import output_rows %}
{{ config(materialized='check') }}
WITH datasets AS (
{%- for e in exporters.values() %}
    {#- an exporter's warehouse relation holds its rows already; one without is read here #}
    SELECT {{ lit(e.dataset) }} AS file, count(id) AS rows, count(DISTINCT id) AS ids
    FROM {{ ident(e.samples) if e.samples else output_rows(e.output_variable, "{'id': 'VARCHAR'}") }}
    UNION ALL
{%- endfor %}
    SELECT output_file, count(id), count(DISTINCT id) FROM quarantine GROUP BY output_file
)
{%- for e in exporters.values() if e.never %}
{%- set forbidden = 'count(*) FILTER (WHERE ' ~ ident(e.score_key) ~ ' IN ' ~ lit(e.never | list) ~ ')' %}
SELECT {{ lit(e.name ~ '_firewall') }} AS name, {{ forbidden }} = 0 AS passed,
    {{ lit(e.name | upper ~ ' rows scored ' ~ e.never | join(' or ') ~ ': ') }} || {{ forbidden }} AS detail
FROM {{ output_rows(e.output_variable, "{" ~ lit(e.score_key) ~ ": 'VARCHAR'}", key=ident(e.score_key)) }}
UNION ALL
{%- endfor %}
SELECT 'preference_no_self_pairs', count(*) FILTER (WHERE chosen_run_id = rejected_run_id) = 0,
    'pairs of a run with itself: ' || count(*) FILTER (WHERE chosen_run_id = rejected_run_id)
FROM preference_pairs
UNION ALL
SELECT 'preference_texts_differ', count(*) FILTER (WHERE js_trim(chosen) = js_trim(rejected)) = 0,
    'pairs with identical texts: ' || count(*) FILTER (WHERE js_trim(chosen) = js_trim(rejected))
FROM preference_pairs
UNION ALL
SELECT 'ids_unique:' || file, rows = ids, rows || ' ids, ' || ids || ' distinct' FROM datasets
UNION ALL
-- SPEC 3: every record of an exporter counting records (exporters.toml) is exported,
-- quarantined or skipped_existing; the run binds the summaries of those it ran
SELECT 'accounting:' || key,
    s.exported + s.quarantined + s.skipped = s.read,
    s.exported + s.quarantined + s.skipped || ' exported+quarantined+skipped_existing, ' || s.read || ' read'
FROM (
    SELECT key,
        CAST(value ->> 'records_exported' AS BIGINT) AS exported,
        CAST(value ->> 'records_quarantined' AS BIGINT) AS quarantined,
        CAST(value ->> 'skipped_existing' AS BIGINT) AS skipped,
        CAST(value ->> 'records_read' AS BIGINT) AS read
    FROM json_each(getvariable('run_summaries'))
) AS s
