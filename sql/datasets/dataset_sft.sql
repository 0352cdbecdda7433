-- The SFT config of the training datasets (SPEC 13): every row of the SFT export file as a
-- TRL conversation, with the task id its split is decided by.
{% from 'macros/datasets.sql' import task_split, user_content, turns %}
{{ config(command='dataset', dataset_config='sft') }}
WITH keys AS (
    SELECT DISTINCT source_run_id, provenance_sig_hash FROM sft_samples
),
source AS (
    -- the scored record a row came from (its id hashes run id | sig_hash): its task id,
    -- else its evidence's; the first in input order when the record was logged twice
    SELECT s.evidence_run_id, s.provenance_sig_hash,
        coalesce(nullif(s.evidence_task_id, ''), nullif(s.task_id, '')) AS task_id
    FROM scored_with_evidence AS s
    JOIN keys AS k ON k.source_run_id = s.evidence_run_id AND k.provenance_sig_hash = s.provenance_sig_hash
    WHERE s.is_object
    QUALIFY row_number() OVER (PARTITION BY s.evidence_run_id, s.provenance_sig_hash ORDER BY s.file, s.line) = 1
),
tasked AS (
    -- a row whose record left the lakehouse keeps its run id as its task: it still lands
    -- in one split, and the same one on every rebuild
    SELECT r.*, coalesce(src.task_id, r.source_run_id) AS task_id
    FROM sft_samples AS r
    LEFT JOIN source AS src
        ON src.evidence_run_id = r.source_run_id AND src.provenance_sig_hash = r.provenance_sig_hash
)
SELECT
    {{ task_split('task_id') }} AS split,
    id,
    task_id,
    list_concat({{ turns('user', user_content('instruction', 'context')) }},
                {{ turns('assistant', 'response') }}) AS messages,
    quality_score,
    source_run_id
FROM tasked
