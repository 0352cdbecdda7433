-- SPEC 12.4 and 12.5: what the duplicate gates compare, for every evidence text this run
-- could export: its content key (exact duplicates) and its MinHash LSH band keys (near
-- duplicate candidates). With --redact-secrets the redacted text is compared.
--
-- Only texts the gates can reach are fingerprinted: those of records in a category some
-- exporter may export, and both texts of every preference candidate (a rejected run's
-- text is exported only as the rejected side of a pair). Most of a lakehouse is neither.
{% from 'macros/fingerprints.sql' import fingerprints %}
{% from 'macros/categories.sql' import exportable with context %}
{% set source %}
(
    SELECT e.partition, e.run_id, {{ 'coalesce(s.redacted, e.text)' if redact_secrets else 'e.text' }} AS text,
        r.keep_shingles
    FROM evidence AS e
{%- if redact_secrets %}
    LEFT JOIN text_secrets AS s USING (partition, run_id)
{%- endif %}
    JOIN (
        -- a preference candidate's texts keep their shingle sets: each pair compares its two
        SELECT partition, run_id, bool_or(pair) AS keep_shingles
        FROM (
            SELECT partition, evidence_run_id AS run_id, false AS pair FROM scored_with_evidence
            WHERE evidence_found AND list_contains({{ lit(exportable) }}, category)
            UNION ALL
            SELECT chosen_partition, chosen_run_id, true FROM preference_candidates
            UNION ALL
            SELECT rejected_partition, rejected_run_id, true FROM preference_candidates
        )
        GROUP BY ALL
    ) AS r USING (partition, run_id)
    WHERE e.text IS NOT NULL
)
{% endset %}
{{ fingerprints(source, ['partition', 'run_id']) }}
