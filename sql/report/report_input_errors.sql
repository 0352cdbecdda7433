-- `distill-duck report`: input errors per partition file, the 20 files with the most; every
-- row also carries the totals over all files, so the page can say what it leaves out.
SELECT label, value, sum(value) OVER () AS total_value, count(*) OVER () AS total_items
FROM (SELECT file AS label, count(*) AS value FROM input_errors GROUP BY ALL)
QUALIFY row_number() OVER (ORDER BY value DESC, label) <= 20
ORDER BY value DESC, label
