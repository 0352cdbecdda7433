-- The preference config of the training datasets (SPEC 13): every pair of the preference
-- export file with an explicit conversational prompt (TRL's implicit-prompt extraction
-- would split a shared prefix of the two answers off as prompt) and one-turn answers.
{% from 'macros/datasets.sql' import task_split, user_content, turns %}
{% from 'macros/instructions.sql' import sft_stem, sft_has_shape, sft_instruction, sft_context %}
{{ config(command='dataset', dataset_config='preference') }}
WITH pairs AS (
    SELECT DISTINCT id, chosen_run_id, rejected_run_id FROM preference_pairs
),
chosen AS (
    -- the chosen scored record: its run id, and the task id the pair id was hashed with
    SELECT p.id, s.evidence_task_id AS task_id,
        s.evidence_found AND {{ sft_has_shape('s.model_role', 's.text_has_content') }}
            AND coalesce(s.evidence_source_file, '') <> '' AS has_shape,
        -- what the model was asked, built from the chosen run's evidence exactly as SFT builds it
        {{ sft_instruction(sft_stem('s.evidence_source_file'), "coalesce(s.source_files[1], '')",
                           's.task_id', 's.contractor') }} AS instruction,
        {{ sft_context('s.matrix_corpora', 's.pathway_fingerprints_seen', 's.model_name') }} AS context
    FROM pairs AS p
    JOIN scored_with_evidence AS s ON s.evidence_run_id = p.chosen_run_id
    WHERE s.is_object
        AND p.id = pair_id(p.chosen_run_id, p.rejected_run_id, s.evidence_task_id)
    QUALIFY row_number() OVER (PARTITION BY p.id ORDER BY s.file, s.line) = 1
),
tasked AS (
    SELECT r.*,
        -- when the record left the lakehouse, the task id the row's prompt names
        coalesce(c.task_id, split_part(regexp_replace(r.prompt, '^Task: ', ''), ' · file=', 1)) AS task_id,
        CASE WHEN c.has_shape THEN {{ user_content('c.instruction', 'c.context') }} ELSE r.prompt END AS asked
    FROM preference_pairs AS r
    LEFT JOIN chosen AS c USING (id)
)
SELECT
    {{ task_split('task_id') }} AS split,
    id,
    task_id,
    {{ turns('user', 'asked') }} AS prompt,
    {{ turns('assistant', 'chosen') }} AS chosen,
    {{ turns('assistant', 'rejected') }} AS rejected,
    reason
FROM tasked
