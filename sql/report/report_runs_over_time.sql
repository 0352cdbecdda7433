-- `distill-duck report`: rows exported by every run, per exporter, oldest run first (from
-- runs, one row per exporter run).
SELECT exporter AS series,
    strftime(started_at AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M:%S UTC') || ' · ' || run_id AS label,
    records_exported AS value,
    records_read AS "read", records_quarantined AS quarantined, skipped_existing AS skipped
FROM runs
ORDER BY series, run_id
