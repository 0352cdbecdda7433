-- `distill-duck report`: input errors per partition file (the 20 worst).
SELECT file AS label, count(*) AS value
FROM input_errors
GROUP BY ALL
ORDER BY value DESC, label
LIMIT 20
