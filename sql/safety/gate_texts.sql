-- The evidence texts the safety gates of SPEC 12 can reach, by (partition, run_id): those
-- of records in a category some exporter may export (and SFT's instruction shape), and
-- both texts of every preference candidate (a rejected run's text is exported only as the
-- rejected side of a pair), unless their rows are already in the dataset files (a record
-- already exported is skipped by its id, never judged again). Most of a lakehouse is
-- neither, and on a night's run almost nothing is: the secret search (secret_candidates)
-- and the fingerprints (text_fingerprints) look at these texts only.
-- in_pair: a text of a preference candidate.
{% from 'macros/categories.sql' import rag_allowed, sft_allowed with context %}
{% from 'macros/instructions.sql' import sft_has_shape %}
WITH old AS (
    -- the ids already in the dataset files: their records are skipped, never judged again
    SELECT id FROM existing_ids WHERE list_contains({{ lit(exporters.dataset_files) }}, file)
),
new_pairs AS (
    SELECT * FROM preference_candidates
    WHERE pair_id(chosen_run_id, rejected_run_id, task_id) NOT IN (SELECT id FROM old)
)
SELECT partition, run_id, bool_or(pair) AS in_pair
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
