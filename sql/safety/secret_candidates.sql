-- SPEC 12.1: the evidence texts that may hold a credential, found by one pass of all the
-- secret patterns at once; most texts hold none, and only these are searched kind by kind
-- (text_secrets). A table of its own, not a CTE: DuckDB would push the kinds' fourteen
-- searches down into a shared CTE's filter and run them over every text.
{% from 'safety/secret_patterns.sql' import secret_regexes as full %}
SELECT partition, run_id, text
FROM evidence
WHERE text IS NOT NULL AND regexp_matches(text, {{ lit(full | join('|')) }})
