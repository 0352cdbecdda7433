-- Candidate pairs per task (SPEC 6, pairing): the first max_pairs_per_task pairs of
-- accepted x rejected in nested-loop order (for a in A: for r in R); only when a task has
-- none, the first of accepted x partially_accepted.
--
-- Slot of pair (a, r) = (rank of a - 1) * |R| + rank of r. A slot <= cap needs both ranks
-- <= cap, so each side is cut to cap rows *before* the join: a hot task with 10,000
-- accepted and 10,000 rejected runs joins at most cap x cap rows, never 10^8.
{% set cap = max_pairs_per_task %}
WITH ranked AS (
    SELECT *,
        row_number() OVER (PARTITION BY evidence_task_id, category ORDER BY file, line) AS k
    FROM preference_records
    WHERE category IN ('accepted', 'rejected', 'partially_accepted')
),
sizes AS (
    SELECT evidence_task_id,
        count(*) FILTER (WHERE category = 'rejected') AS n_rejected,
        count(*) FILTER (WHERE category = 'partially_accepted') AS n_partial
    FROM ranked
    GROUP BY evidence_task_id
),
capped AS (
    SELECT * FROM ranked WHERE k <= {{ lit(cap) }}
)
SELECT
    a.evidence_task_id AS task_id,
    a.group_first,
    (a.k - 1) * CASE WHEN s.n_rejected > 0 THEN s.n_rejected ELSE s.n_partial END + o.k AS slot,
    a.file, a.line, a.partition AS chosen_partition, o.partition AS rejected_partition,
    a.evidence_run_id AS chosen_run_id, a.category AS chosen_category,
    a.reasons AS chosen_reasons, ea.text AS chosen_text, a.source_files AS chosen_source_files,
    a.provenance, a.provenance_source_file, a.provenance_line_offset,
    a.provenance_source_file_json, a.provenance_line_offset_json,
    o.file AS rejected_file, o.line AS rejected_line, o.evidence_run_id AS rejected_run_id,
    o.category AS rejected_category, o.reasons AS rejected_reasons, eo.text AS rejected_text
FROM capped AS a
JOIN sizes AS s USING (evidence_task_id)
JOIN capped AS o
    ON o.evidence_task_id = a.evidence_task_id
    AND o.category = CASE WHEN s.n_rejected > 0 THEN 'rejected' ELSE 'partially_accepted' END
-- texts are joined in only for the few capped candidates
JOIN evidence AS ea ON ea.partition = a.partition AND ea.run_id = a.evidence_run_id
JOIN evidence AS eo ON eo.partition = o.partition AND eo.run_id = o.evidence_run_id
WHERE a.category = 'accepted'
    AND (a.k - 1) * CASE WHEN s.n_rejected > 0 THEN s.n_rejected ELSE s.n_partial END + o.k <= {{ lit(cap) }}
