-- Scored records by category, for the run receipt (NULL: absent or not a string).
SELECT category, count(*) AS records
FROM scored_runs
GROUP BY category
ORDER BY category NULLS LAST
