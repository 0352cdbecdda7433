-- One row per record (non-blank scored line) with its scored fields and the facts of the
-- evidence it joins to in the paired partition (same relative path), if any.
SELECT
    s.file,
    s.line,
    s.partition,
    s.is_object,
    s.error AS line_error,
    s.evidence_run_id,
    s.evidence_task_id,
    s.category,
    s.reasons,
    s.provenance,
    s.provenance_source_file,
    s.provenance_sig_hash,
    s.provenance_line_offset,
    s.provenance_source_file_json,
    s.provenance_sig_hash_json,
    s.provenance_line_offset_json,
    coalesce(s.provenance_source_file, '') <> '' AND coalesce(s.provenance_sig_hash, '') <> ''
        AS provenance_complete,
    coalesce(s.evidence_run_id, '') <> '' AS has_run_id,
    e.run_id IS NOT NULL AS evidence_found,
    e.task_id,
    e.text_has_content,
    e.text_nonempty,
    e.first_content_line,
    e.model_role,
    e.model_name,
    e.source_files,
    e.matrix_corpora,
    e.pathway_fingerprints_seen,
    e.contractor,
    e.provenance_source_file AS evidence_source_file
FROM scored_records AS s
LEFT JOIN evidence_facts AS e
    ON e.partition = s.partition AND e.run_id = s.evidence_run_id AND s.evidence_run_id <> ''
