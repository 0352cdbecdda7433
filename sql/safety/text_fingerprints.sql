-- SPEC 12.4 and 12.5: what the duplicate gates compare, for every evidence text this run
-- could export: its content key (exact duplicates) and its MinHash LSH band keys (near
-- duplicate candidates). With --redact-secrets the redacted text is compared.
--
-- Only texts the gates can reach are fingerprinted: those of records in a category some
-- exporter may export, and both texts of every preference candidate (a rejected run's
-- text is exported only as the rejected side of a pair), unless their rows are already in
-- the dataset files (a re-run judges nothing again). Most of a lakehouse is neither.
-- A text an earlier run fingerprinted comes from the memo (fingerprint_memo); the new ones
-- are added to it.
{% from 'macros/fingerprints.sql' import fingerprints %}
{% from 'macros/categories.sql' import rag_allowed, sft_allowed with context %}
{% from 'macros/instructions.sql' import sft_has_shape %}
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
            -- a record RAG or SFT may export (its category, and SFT's instruction shape)
            SELECT partition, evidence_run_id AS run_id, false AS pair FROM scored_with_evidence
            WHERE evidence_found AND text_has_content AND (
                (list_contains({{ lit(rag_allowed) }}, category)
                    AND record_id('rag-', evidence_run_id, provenance_sig_hash) NOT IN (SELECT id FROM old))
                OR (list_contains({{ lit(sft_allowed) }}, category) AND {{ sft_has_shape('model_role', 'text_has_content') }}
                    AND record_id('sft-', evidence_run_id, provenance_sig_hash) NOT IN (SELECT id FROM old)))
            UNION ALL
            SELECT chosen_partition, chosen_run_id, true FROM new_pairs
            UNION ALL
            SELECT rejected_partition, rejected_run_id, true FROM new_pairs
        )
        GROUP BY ALL
    ) AS r USING (partition, run_id)
    WHERE e.text IS NOT NULL
)
{% endset %}
WITH old AS (
    -- the ids already in the dataset files: their records are skipped, never judged again
    SELECT id FROM existing_ids WHERE list_contains({{ lit(exporters.dataset_files) }}, file)
),
new_pairs AS (
    SELECT * FROM preference_candidates
    WHERE pair_id(chosen_run_id, rejected_run_id, task_id) NOT IN (SELECT id FROM old)
)
{% set memo = 'fingerprint_memo' %}
{{ config(memo=memo) }}
SELECT * FROM ({{ fingerprints(source, ['partition', 'run_id'], memo=memo) }})
