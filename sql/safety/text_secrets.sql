-- SPEC 12.1 (gate 1 of the safety gates): the credentials in each evidence text, one row
-- per text that holds any. `matches` are the non-overlapping matches in text order (of two
-- that overlap, the one starting first, then the longer, is kept); `start` counts code
-- points from 0. With --redact-secrets, `redacted` is the text with each kept match
-- replaced by [REDACTED:<kind>] and `redacted_title` its RAG title line (computed here, on
-- a column: DuckDB 2.0's statistics propagation folded first_content_line over a LEFT
-- JOIN of an empty text_secrets into a constant it then failed to bind). Only the texts
-- that secret_candidates found are searched, kind by kind.
{% from 'safety/secret_patterns.sql' import secret_patterns, secret_regexes as full %}
WITH found AS (
{%- for kind, before, secret, after in secret_patterns %}
    SELECT partition, run_id, {{ lit(kind) }} AS kind,
        regexp_split_to_array(text, {{ lit(full[loop.index0]) }}) AS pieces,
        regexp_extract_all(text, {{ lit(full[loop.index0]) }}, 1) AS befores,
        regexp_extract_all(text, {{ lit(full[loop.index0]) }}, 2) AS secrets,
        regexp_extract_all(text, {{ lit(full[loop.index0]) }}, 3) AS afters
    FROM secret_candidates
    WHERE regexp_matches(text, {{ lit(full[loop.index0]) }})
    {{ 'UNION ALL' if not loop.last }}
{%- endfor %}
),
located AS (
    -- match k starts after the k pieces between matches and the k-1 matches before it
    SELECT partition, run_id,
        unnest(list_transform(range(1, len(secrets) + 1), lambda k: {
            'start': CAST(list_sum(list_transform(pieces[1:k], lambda p: length(p))) AS BIGINT)
                + coalesce(CAST(list_sum(list_transform(range(1, k), lambda i:
                    length(befores[i]) + length(secrets[i]) + length(afters[i]))) AS BIGINT), 0)
                + length(befores[k]),
            'length': CAST(length(secrets[k]) AS BIGINT),
            'kind': kind})) AS m
    FROM found
),
kept AS (
    SELECT partition, run_id,
        list_reduce(list_sort(list(m), 'ASC'),  -- by start (then the shorter first: fixed below)
            lambda acc, x: CASE
                WHEN len(acc) = 0 OR x.start >= acc[-1].start + acc[-1].length THEN list_append(acc, x)
                -- same start, longer: the longer wins
                WHEN x.start = acc[-1].start AND x.length > acc[-1].length THEN list_append(acc[:-1], x)
                ELSE acc END,
            []::STRUCT(start BIGINT, length BIGINT, kind VARCHAR)[]) AS matches
    FROM located
    GROUP BY partition, run_id
)
SELECT *{{ ', first_content_line(redacted) AS redacted_title' if redact_secrets }}
FROM (
SELECT k.partition, k.run_id, k.matches,
    list_transform(k.matches, lambda x: x.kind || ' at character ' || x.start) AS errors,
{%- if redact_secrets %}
    array_to_string(list_transform(range(1, len(k.matches) + 1), lambda i:
        substr(e.text, CASE WHEN i = 1 THEN 1 ELSE k.matches[i - 1].start + k.matches[i - 1].length + 1 END,
               k.matches[i].start - CASE WHEN i = 1 THEN 0 ELSE k.matches[i - 1].start + k.matches[i - 1].length END)
        || '[REDACTED:' || k.matches[i].kind || ']'), '')
        || substr(e.text, k.matches[-1].start + k.matches[-1].length + 1) AS redacted
{%- else %}
    NULL::VARCHAR AS redacted
{%- endif %}
FROM kept AS k
JOIN secret_candidates AS e USING (partition, run_id)
)
