-- `distill-duck report`: quarantined rows by exporter and reason (all runs).
SELECT coalesce(exporter, '(none)') AS series, coalesce(reason, '(none)') AS label, count(*) AS value
FROM quarantine
GROUP BY ALL
ORDER BY series, value DESC, label
