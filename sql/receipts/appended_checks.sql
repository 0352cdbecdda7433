-- The assertions a run checks once its lines are appended: each output file grew by
-- exactly the lines the run staged for it, no more (a concurrent writer) and no fewer (a
-- lost append). The run binds each file's line counts before and after as `output_growth`.
{{ config(materialized='check') }}
SELECT 'appended:' || (g ->> 'file') AS name,
    CAST(g ->> 'after' AS BIGINT) - CAST(g ->> 'before' AS BIGINT) = CAST(g ->> 'written' AS BIGINT) AS passed,
    (CAST(g ->> 'after' AS BIGINT) - CAST(g ->> 'before' AS BIGINT)) || ' lines added, '
        || (g ->> 'written') || ' rows written' AS detail
FROM (SELECT unnest(CAST(coalesce(getvariable('output_growth'), '[]') AS JSON[])) AS g)
