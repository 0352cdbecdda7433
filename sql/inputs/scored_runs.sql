{{ config(publish=true, materialized='view',
    comment='One row per scored record that is a JSON object (a verdict on one evidence run). Wrong JSON types read as NULL.',
    columns={
        'file': 'scored partition file, relative to the root',
        'line': '0-based physical line in file',
        'partition': 'the path P of data/scored-runs/P; pairs with data/evidence/P',
        'record': 'the record as read (JSON text)',
        'evidence_run_id': 'the evidence run this verdict is about',
        'evidence_task_id': 'task id grouping runs for preference pairs',
        'category': 'accepted, partially_accepted, rejected, needs_human_review (other values are disallowed everywhere)',
        'reasons': 'scorer rationale strings, most important first',
        'provenance': 'the provenance object (JSON text) when it is an object',
        'provenance_source_file': 'provenance.source_file when a string',
        'provenance_sig_hash': 'provenance.sig_hash when a string',
        'provenance_line_offset': 'provenance.line_offset when an integer',
        'provenance_source_file_json': 'provenance.source_file as written (JSON), copied into rows',
        'provenance_sig_hash_json': 'provenance.sig_hash as written (JSON), copied into rows',
        'provenance_line_offset_json': 'provenance.line_offset as written (JSON), copied into rows',
    }) }}
-- Every scored line that is a JSON object (a view over scored_records).
SELECT * EXCLUDE (is_object, error, excerpt)
FROM scored_records
WHERE is_object
