-- SPEC 12.3 (safety gate 3): evidence texts sharing a word n-gram with an evaluation item.
-- The n-grams of every text are hashed and met with the items' on the hash; each hit is
-- then compared word by word, so a hash collision never quarantines.
{% from 'macros/ngrams.sql' import gram_hashes %}
{% set n = decontaminate_ngram %}
WITH grams AS (
    SELECT partition, run_id, unnest(hs) AS h, generate_subscripts(hs, 1) AS pos
    FROM (
        SELECT partition, run_id, {{ gram_hashes('text_words(text)', n) }} AS hs
        FROM evidence
        WHERE text IS NOT NULL
    )
),
hits AS (
    SELECT g.partition, g.run_id, g.pos, x.file, x.line, x.w[x.pos:x.pos + {{ lit(n - 1) }}] AS gram
    FROM grams AS g
    JOIN eval_ngrams AS x ON x.h = g.h
    JOIN evidence AS e ON e.partition = g.partition AND e.run_id = g.run_id
    WHERE text_words(e.text)[g.pos:g.pos + {{ lit(n - 1) }}] = x.w[x.pos:x.pos + {{ lit(n - 1) }}]
)
SELECT partition, run_id,
    arg_min('shares a ' || {{ lit(n) }} || '-word n-gram with ' || file || ' item on line ' || line
        || ' ("' || array_to_string(gram[1:6], ' ') || ' ...")', pos) AS error
FROM hits
GROUP BY partition, run_id
