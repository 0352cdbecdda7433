{% from 'macros/paths.sql' import root_relative -%}
{% from 'macros/output_rows.sql' import output_rows %}
{% from 'macros/settle.sql' import settle %}
{% from 'macros/plan.sql' import reused %}
{#- how many of the first texts of each LSH band a text is compared with (see band_candidates) -#}
{% set bucket_cap = 8 %}
{#- the signature positions two candidates must agree on to be compared (see band_candidates) -#}
{% macro min_agreeing() %}{{ ((near_duplicate_threshold - 0.3) * 32) | round(0, 'ceil') | int }}{% endmacro %}
{#-
  Jinja macro: whether the two texts of a preference pair, with MinHash signatures `a` and
  `b` (columns), may be near duplicates, so that their shingles must be compared exactly:
  their signatures agree on at least min_agreeing() of 32 positions (as band_candidates
  asks of candidates), or either is a short text (fewer than `short_ranges` of the 32 hash
  ranges hold a shingle: its filled positions repeat the values of few ranges, so its
  agreement is an estimate from few samples, and its exact comparison is cheap), or a
  signature is missing. Values of different ranges differ, so a signature's distinct
  values count its ranges. The two texts of a pair are rarely alike: most pairs are
  settled here, without splitting their words again.
-#}
{% set short_ranges = 16 %}
{% macro maybe_close(a, b) -%}
{%- if min_agreeing() | int > 0 -%}
coalesce(agreeing({{ a }}, {{ b }}) >= {{ lit(min_agreeing() | int) }}
    OR len(list_distinct({{ a }})) < {{ lit(short_ranges) }} OR len(list_distinct({{ b }})) < {{ lit(short_ranges) }}, true)
{%- else -%}
true
{%- endif -%}
{%- endmacro %}
{#-
  Jinja macro: the near-duplicate candidate pairs among `nodes` (a relation: id, ord,
  bands, sig; ord the input order {'file', 'line'}, and {'file': '', 'line': -1} for the
  rows already exported, which come before all), as earlier, later, earlier_ord,
  later_ord. The gate and bench/near_duplicates.py both use it.

  A text is compared with the first `bucket_cap` texts of each band it is in, not with all
  of them: logs full of one boilerplate text put thousands in one band, and all pairs of
  those would be millions. A later text is refused when any of them is an exported text
  close to it; one beyond them decides only when all of them are refused or not close,
  which the recall benchmark (BENCHMARKS.md) does not see.

  Of those, a pair whose signatures agree on fewer than min_agreeing() of 32 positions (an
  estimated similarity 0.3 below the threshold) is not compared: texts sharing a band by
  chance are most candidates; at the default threshold a pair of similarity 0.8 agrees on
  fewer with probability about 3e-5, one of 0.9 about 1e-9 (if positions agree with
  probability equal to the similarity, as MinHash's do).
-#}
{% macro band_candidates(nodes) -%}
WITH band_keys AS {{ reused() }} (
    SELECT id, ord, band, row_number() OVER (PARTITION BY band ORDER BY ord, id) AS place
    FROM (SELECT id, ord, unnest(bands) AS band FROM {{ nodes }})
    -- only the bands a text of this run is in (a whole band goes or stays, so no place
    -- changes): a night's few texts are not ranked against every band of the history
    WHERE band IN (SELECT unnest(bands) FROM {{ nodes }} WHERE ord.line >= 0)
)
SELECT c.*
FROM (
    SELECT DISTINCT a.id AS earlier, b.id AS later, a.ord AS earlier_ord, b.ord AS later_ord
    FROM band_keys AS a
    JOIN band_keys AS b ON a.band = b.band AND b.ord.line >= 0 AND a.ord < b.ord
    WHERE a.place <= {{ lit(bucket_cap) }}
) AS c
{%- if min_agreeing() | int > 0 %}
JOIN {{ nodes }} AS a ON a.id = c.earlier AND a.ord = c.earlier_ord
JOIN {{ nodes }} AS b ON b.id = c.later AND b.ord = c.later_ord
WHERE agreeing(a.sig, b.sig) >= {{ lit(min_agreeing() | int) }}
{%- endif %}
{%- endmacro %}

{#-
  Jinja macro: the duplicate gates of SPEC 12.4 (duplicate_content) and 12.5 (near_duplicate)
  applied to RAG or SFT decisions `rows` (one row per record, see outcomes.sql). Only rows
  about to be exported are judged and only they can win: a refused record never wins a
  duplicate check. The rows already in `output_file` are earlier than every record of this
  run.

  Exact: the first record of each content key is the representative; a later one repeats it.
  Near: the representatives, and the earlier runs' rows, are candidates when they share an
  LSH band (macros/fingerprints.sql); each candidate pair is compared exactly (Jaccard of
  the shingle sets) and kept at or above the threshold. In input order, a representative
  close to an earlier *exported* text is refused; which ones are exported is settled by a
  recursive query (a text refused as a near duplicate does not refuse the texts after it).
  A record repeating a representative shares its fate: duplicate_content when the
  representative is exported, near_duplicate (of the same text) when it was refused.
-#}
{% macro duplicate_gates(rows, output_file) -%}
{% if not (gates.duplicate_content or gates.near_duplicate) %}
SELECT * FROM {{ rows }}
{% else %}
{% set order_key = "{'file': file, 'line': line}" %}
WITH judged AS {{ reused() }} (
    SELECT r.file, r.line, r.id, r.partition, r.evidence_run_id, f.content_key, f.bands, f.sig
    FROM {{ rows }} AS r
    JOIN text_fingerprints AS f ON f.partition = r.partition AND f.run_id = r.evidence_run_id
    WHERE r.outcome = 'exported'
),
old AS {{ reused() }} (
    SELECT id, content_key, bands, sig FROM existing_fingerprints WHERE file = {{ lit(output_file) }}
),
exact AS {{ reused() }} (
    SELECT j.*,
{%- if gates.duplicate_content %}
        o.id AS repeats_old,
        CASE WHEN first.k < {'file': j.file, 'line': j.line} THEN first.id END AS repeats_new
{%- else %}
        NULL::VARCHAR AS repeats_old, NULL::VARCHAR AS repeats_new
{%- endif %}
    FROM judged AS j
{%- if gates.duplicate_content %}
    LEFT JOIN (SELECT content_key, min(id) AS id FROM old GROUP BY content_key) AS o USING (content_key)
    LEFT JOIN (
        SELECT content_key, arg_min(id, {{ order_key }}) AS id, min({{ order_key }}) AS k
        FROM judged GROUP BY content_key
    ) AS first USING (content_key)
{%- endif %}
),
{%- if gates.near_duplicate %}
nodes AS {{ reused() }} (
    -- the texts the near-duplicate gate compares: this run's representatives (ord: their
    -- input order, (file, line) itself, not a row_number, which would be one task on a
    -- cluster) and the earlier runs' rows (already exported: before all of them)
    SELECT id, {'file': '', 'line': -1} AS ord, bands, sig FROM old
    UNION ALL
    SELECT id, {{ order_key }} AS ord, bands, sig
    FROM exact WHERE repeats_old IS NULL AND repeats_new IS NULL
),
candidates AS {{ reused() }} (
    {{ band_candidates('nodes') }}
),
compared AS MATERIALIZED (
    -- this run's texts in a candidate pair, found before their texts are: a run whose
    -- candidates are few (or none) reads few evidence texts, not every one of them
    SELECT id, partition, evidence_run_id FROM judged
    WHERE id IN (SELECT later FROM candidates UNION ALL SELECT earlier FROM candidates)
),
candidate_texts AS MATERIALIZED (
    -- the words of the texts that take part in a candidate pair, and only of those
    SELECT id, words, list_distinct(shingle_hashes(wh)) AS hashed
    FROM (
        SELECT id, words, word_hashes(words) AS wh
        FROM (SELECT id, text_words(text) AS words
        FROM (
            SELECT j.id, {{ 'coalesce(s.redacted, e.text)' if redact_secrets else 'e.text' }} AS text
            FROM compared AS j
            JOIN evidence AS e ON e.partition = j.partition AND e.run_id = j.evidence_run_id
{%- if redact_secrets %}
            LEFT JOIN text_secrets AS s ON s.partition = j.partition AND s.run_id = j.evidence_run_id
{%- endif %}
            UNION ALL
            SELECT id, CASE WHEN content IS NOT NULL THEN content ELSE response END
            FROM {{ output_rows('output_paths', {'id': 'VARCHAR', 'content': 'VARCHAR', 'response': 'VARCHAR'}, filename=true) }}
            WHERE {{ root_relative('filename') }} = {{ lit(output_file) }}
                AND id IN (SELECT earlier FROM candidates WHERE earlier_ord.line < 0)
        ))
    )
),
close_by_hash AS (
    -- hashed shingles settle the pairs below the threshold (see shingle_hashes)
    SELECT c.*
    FROM candidates AS c
    JOIN candidate_texts AS a ON a.id = c.earlier
    JOIN candidate_texts AS b ON b.id = c.later
    WHERE jaccard(a.hashed, b.hashed) >= {{ lit(near_duplicate_threshold) }}
),
verified_texts AS MATERIALIZED (
    SELECT id, text_shingles(words) AS shingles FROM candidate_texts
    WHERE id IN (SELECT earlier FROM close_by_hash UNION ALL SELECT later FROM close_by_hash)
),
edges AS MATERIALIZED (
    SELECT * FROM (
        SELECT c.earlier, c.later, c.earlier_ord, c.later_ord, jaccard(a.shingles, b.shingles) AS similarity
        FROM close_by_hash AS c
        JOIN verified_texts AS a ON a.id = c.earlier
        JOIN verified_texts AS b ON b.id = c.later
    )
    WHERE similarity >= {{ lit(near_duplicate_threshold) }}
),
settled AS (
    -- greedy in input order: exported unless close to an earlier exported text
    {{ settle('nodes', 'edges') }}
),
near AS (
    SELECT e.later AS id,
        arg_min(e.earlier, {'ord': e.earlier_ord, 'id': e.earlier}) AS close_to,
        arg_min(e.similarity, {'ord': e.earlier_ord, 'id': e.earlier}) AS similarity
    FROM edges AS e
    JOIN settled AS s ON s.id = e.earlier AND s.exported
    JOIN settled AS l ON l.id = e.later AND NOT l.exported
    GROUP BY e.later
),
{%- endif %}
verdicts AS (
    SELECT x.file, x.line,
{%- if gates.near_duplicate %}
        CASE
            WHEN x.repeats_old IS NOT NULL THEN 'duplicate_content'
            WHEN x.repeats_new IS NOT NULL AND rn.id IS NULL THEN 'duplicate_content'
            WHEN coalesce(n.id, rn.id) IS NOT NULL THEN 'near_duplicate'
        END AS reason,
        CASE
            WHEN x.repeats_old IS NOT NULL THEN ['same content as ' || x.repeats_old]
            WHEN x.repeats_new IS NOT NULL AND rn.id IS NULL THEN ['same content as ' || x.repeats_new]
            WHEN n.id IS NOT NULL THEN ['near duplicate of ' || n.close_to || ' (similarity ' || round(n.similarity, 2) || ')']
            WHEN rn.id IS NOT NULL THEN ['near duplicate of ' || rn.close_to || ' (similarity ' || round(rn.similarity, 2) || ')']
        END AS errors
    FROM exact AS x
    LEFT JOIN near AS n ON n.id = x.id
    LEFT JOIN near AS rn ON rn.id = x.repeats_new
{%- else %}
        CASE WHEN coalesce(x.repeats_old, x.repeats_new) IS NOT NULL THEN 'duplicate_content' END AS reason,
        ['same content as ' || coalesce(x.repeats_old, x.repeats_new)] AS errors
    FROM exact AS x
{%- endif %}
)
SELECT r.* REPLACE (
        CASE WHEN v.reason IS NOT NULL THEN 'quarantined' ELSE r.outcome END AS outcome,
        coalesce(v.reason, r.reason) AS reason,
        CASE WHEN v.reason IS NOT NULL THEN v.errors ELSE r.errors END AS errors,
        -- the quarantine row carries the scored record, as the exporter's own gates do
        CASE WHEN v.reason IS NOT NULL THEN NULL ELSE r.quarantine_source END AS quarantine_source)
FROM {{ rows }} AS r
LEFT JOIN (SELECT * FROM verdicts WHERE reason IS NOT NULL) AS v ON v.file = r.file AND v.line = r.line
{% endif %}
{%- endmacro %}
