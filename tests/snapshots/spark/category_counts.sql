-- category_counts
SELECT category, COUNT(*) AS records FROM scored_records WHERE is_object GROUP BY category ORDER BY category NULLS LAST
