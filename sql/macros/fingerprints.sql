{#-
  Jinja macro: the duplicate-gate fingerprints of the texts in `source` (a relation with
  the columns `keys` and `text`), one row per text with
      text_digest   the md5 of the text: with `memo` (a memo model, see fingerprint_memo),
                    a text an earlier run fingerprinted is looked up, not computed again
      content_key   SPEC 12.4: the digest of the whitespace-normalised text
      bands         SPEC 12.5 candidates: 8 LSH band keys of a 32-value MinHash signature
      sig           the signature: the share of positions two texts agree on estimates their
                    similarity, which drops the candidates far below the threshold (see
                    maybe_close in duplicates.sql)
  The signature is one-permutation MinHash (each shingle hashed once, the minimum kept per
  one of 32 hash ranges, empty ranges filled from the next full one), so a text costs one
  hash per shingle instead of 32. A band is 4 values: two texts of Jaccard similarity s
  share at least one of the 8 bands with probability about 1 - (1 - s^4)^8: 99.98 % at
  0.9, 98.5 % at 0.8, 40 % at 0.5, under 1 % at 0.25. Candidates are only candidates:
  the gate compares their shingles exactly (BENCHMARKS.md measures recall and candidates).
-#}
{% macro fingerprints(source, keys, memo=none) -%}
{% set k = keys | join(', ') %}
WITH src AS (
    -- text_digest names a text exactly (128-bit md5): the memo's key
    SELECT {{ k }}, text, {{ 'md5_number(text)' if memo else 'NULL::UHUGEINT' }} AS text_digest
    FROM {{ source }}
),
{%- if memo %}
known AS (
    -- texts fingerprinted by an earlier run (the memo is content-addressed, so it holds for
    -- any row with the same text)
    SELECT src.{{ keys | join(', src.') }}, m.text_digest, m.content_key, m.bands, m.sig
    FROM src JOIN {{ memo }} AS m USING (text_digest)
),
todo AS (
    SELECT * FROM src WHERE text_digest NOT IN (SELECT text_digest FROM {{ memo }})
),
{%- else %}
todo AS (SELECT * FROM src),
{%- endif %}
meta AS (
    -- what is computed per text and not from its words
    SELECT {{ k }}, text_digest, content_key(text) AS content_key FROM todo
),
ranges AS (
    -- the words of each text are split in this one pass (a CTE read twice is computed
    -- twice, and the split is most of this model's time): each shingle hashed once, the
    -- minimum kept per hash range
    SELECT {{ k }}, list({'b': b, 'm': m} ORDER BY b) AS bl
    FROM (
        SELECT {{ k }}, hash_range(h) AS b, min(h) AS m
        FROM (
            SELECT {{ k }}, unnest(shingle_hashes(wh)) AS h
            FROM (SELECT {{ k }}, word_hashes(text_words(text)) AS wh FROM todo)
        )
        GROUP BY ALL
    )
    GROUP BY ALL
),
signatures AS (
    -- (a text of a few hundred shingles has all 32 ranges: only short ones need the fill)
    SELECT {{ k }}, CASE WHEN len(bl) = 32 THEN list_transform(bl, lambda x: x.m)
        ELSE list_transform(range(32), lambda i: coalesce(list_filter(bl, lambda x: x.b >= i)[1].m, bl[1].m)) END
        AS sig
    FROM ranges
)
SELECT t.{{ keys | join(', t.') }}, t.text_digest, t.content_key,
    list_transform(range(8), lambda j: hash(j, s.sig[4 * j + 1], s.sig[4 * j + 2], s.sig[4 * j + 3], s.sig[4 * j + 4]))
        AS bands,
    s.sig
FROM meta AS t
JOIN signatures AS s USING ({{ k }})
{%- if memo %}
UNION ALL
SELECT {{ k }}, text_digest, content_key, bands, sig FROM known
{%- endif %}
{%- endmacro %}
