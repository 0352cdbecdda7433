-- The records that take part in preference pairing (SPEC 6, indexing): JSON objects with
-- complete provenance, an evidence_run_id, evidence in their partition and a task id.
-- Each carries its group's first appearance in input order (group_first: the (file, line)
-- of the task's first record). (Input order is (file, line) itself, not a number: a
-- row_number over every record would be one task on a cluster.)
SELECT *,
    min({'file': file, 'line': line}) OVER (PARTITION BY evidence_task_id) AS group_first
FROM (
    SELECT
        file, line, partition, evidence_run_id, evidence_task_id, category, reasons, source_files,
        provenance, provenance_source_file, provenance_line_offset,
        provenance_source_file_json, provenance_line_offset_json
    FROM scored_with_evidence
    WHERE is_object AND provenance_complete AND has_run_id AND evidence_found
        AND coalesce(evidence_task_id, '') <> ''
)
