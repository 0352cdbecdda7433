-- SPEC 12.3: the word n-grams (n = --decontaminate-ngram, default 13; words as in 12.5)
-- of every evaluation item, hashed, each with its 1-based position among the item's
-- words. A .jsonl file holds one JSON object a line, each top-level string value an item;
-- any other file one item a line, blank lines skipped. An item of fewer than n words has
-- no n-gram and never matches. (Lines are read as the partitions are: a line that is not
-- valid UTF-8 holds no item; a file in the root is named by its path in the root.)
{% from 'macros/ngrams.sql' import gram_hashes %}
{% from 'macros/lines.sql' import physical_lines %}
{% set n = decontaminate_ngram %}
WITH lines AS (
    SELECT file, line, body, ends_with(file, '.jsonl') AS is_jsonl
    FROM {{ physical_lines('decontaminate_paths', anywhere=true) }} AS l
    WHERE body IS NOT NULL
),
items AS (
    SELECT file, line, body AS item FROM lines WHERE NOT is_jsonl AND trim(body) <> ''
    UNION ALL
    SELECT file, line, unnest(json_object_strings(body)) AS item FROM lines WHERE is_jsonl
)
SELECT file, line, w, g.h AS h, g.pos AS pos
FROM (
    SELECT file, line, w,
        unnest(list_transform({{ gram_hashes('w', n) }}, lambda h, i: {'h': h, 'pos': i})) AS g
    FROM (SELECT file, line, text_words(item) AS w FROM items)
    WHERE len(w) >= {{ lit(n) }}
)
