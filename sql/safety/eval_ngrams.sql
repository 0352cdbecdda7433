-- SPEC 12.3: the word n-grams (n = --decontaminate-ngram, default 13; words as in 12.5)
-- of every evaluation item, hashed. A .jsonl file holds one JSON object a line, each
-- top-level string value an item; any other file one item a line, blank lines skipped. An
-- item of fewer than n words has no n-gram and never matches.
{% from 'macros/ngrams.sql' import gram_hashes %}
{% set n = decontaminate_ngram %}
WITH lines AS (
    SELECT file, ends_with(file, '.jsonl') AS is_jsonl, unnest(parts) AS body,
        generate_subscripts(parts, 1) - 1 AS line
    FROM (
        SELECT filename AS file, string_split(decode(content), chr(10)) AS parts
        FROM read_blob(getvariable('decontaminate_paths'))
    )
),
items AS (
    SELECT file, line, body AS item FROM lines WHERE NOT is_jsonl AND trim(body) <> ''
    UNION ALL
    SELECT file, line, json_extract_string(v, '$') AS item
    FROM (
        SELECT file, line, unnest(json_extract(body, '$.*')) AS v
        FROM lines
        WHERE is_jsonl AND coalesce(json_valid(body), false) AND json_type(body) = 'OBJECT'
    )
    WHERE json_type(v) = 'VARCHAR'
)
SELECT file, line, w, unnest(hs) AS h, generate_subscripts(hs, 1) AS pos
FROM (
    SELECT file, line, w, {{ gram_hashes('w', n) }} AS hs
    FROM (SELECT file, line, text_words(item) AS w FROM items)
    WHERE len(w) >= {{ lit(n) }}
)
