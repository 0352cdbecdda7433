-- `distill-duck report`: scored records by category (reads the published warehouse).
SELECT coalesce(category, '(none)') AS label, count(*) AS value
FROM scored_runs
GROUP BY ALL
ORDER BY value DESC, label
