-- SPEC 12.1: the evidence texts that may hold a credential, found by one pass of all the
-- secret patterns at once; most texts hold none, and only these are searched kind by kind
-- (text_secrets). A table of its own, not a CTE: DuckDB would push the kinds' fourteen
-- searches down into a shared CTE's filter and run them over every text. Only the texts
-- the gates can reach are searched (gate_texts): the search names a column of each side,
-- so DuckDB cannot push it below the join into the scan of every evidence text (a night's
-- run has a few hundred texts to search among millions).
{% from 'safety/secret_patterns.sql' import secret_regexes as full %}
SELECT e.partition, e.run_id, e.text
FROM evidence AS e
JOIN gate_texts AS g USING (partition, run_id)
WHERE e.text IS NOT NULL
    AND CASE WHEN g.in_pair IS NOT NULL THEN regexp_matches(e.text, {{ lit(full | join('|')) }}) END
