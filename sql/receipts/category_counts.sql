-- Scored records by category, for the run receipt (NULL: absent or not a string).
SELECT category, count(*) AS records
FROM scored_records
WHERE is_object
GROUP BY category
ORDER BY category NULLS LAST
