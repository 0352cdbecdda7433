-- SPEC 12.3 (safety gate 3): evidence texts sharing a word n-gram with an evaluation item.
-- The n-grams of every text are hashed and met with the items' on the hash; each hit is
-- then compared word by word, so a hash collision never quarantines. A text's error names
-- its first shared n-gram (the earliest position; among items sharing it, the first by
-- file and line), so it does not depend on the order rows meet in.
{% from 'macros/ngrams.sql' import gram_hashes %}
{% set n = decontaminate_ngram %}
WITH grams AS (
    SELECT partition, run_id, g.h AS h, g.pos AS pos
    FROM (
        SELECT partition, run_id,
            unnest(list_transform({{ gram_hashes('text_words(text)', n) }}, lambda h, i: {'h': h, 'pos': i})) AS g
        FROM evidence
        WHERE text IS NOT NULL
    )
),
hits AS (
    SELECT g.partition, g.run_id, g.pos, x.file, x.line,
        'shares a ' || {{ lit(n) }} || '-word n-gram with ' || x.file || ' item on line ' || x.line
            || ' ("' || array_to_string(x.w[x.pos:x.pos + {{ lit([n, 6] | min - 1) }}], ' ') || ' ...")' AS error
    FROM grams AS g
    JOIN eval_ngrams AS x ON x.h = g.h
    JOIN evidence AS e ON e.partition = g.partition AND e.run_id = g.run_id
    WHERE text_words(e.text)[g.pos:g.pos + {{ lit(n - 1) }}] = x.w[x.pos:x.pos + {{ lit(n - 1) }}]
)
SELECT partition, run_id, arg_min(error, {'pos': pos, 'file': file, 'line': line}) AS error
FROM hits
GROUP BY partition, run_id
