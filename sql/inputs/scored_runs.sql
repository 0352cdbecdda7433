{{ config(publish=true,
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
-- Every scored line that is a JSON object, with its fields read under the SPEC 2.2 type rule.
SELECT
    file,
    line,
    substr(file, length('data/scored-runs/') + 1) AS partition,
    json_min(body) AS record,
    json_string(f[1]) AS evidence_run_id,
    json_string(f[2]) AS evidence_task_id,
    json_string(f[3]) AS category,
    json_strings(f[4]) AS reasons,
    CASE WHEN json_type(f[5]) = 'OBJECT' THEN json_min(f[5]) END AS provenance,
    json_string(f[6]) AS provenance_source_file,
    json_string(f[7]) AS provenance_sig_hash,
    json_int64(f[8]) AS provenance_line_offset,
    -- raw values, copied into output rows as they were read
    json_out(f[6]) AS provenance_source_file_json,
    json_out(f[7]) AS provenance_sig_hash_json,
    json_out(f[8]) AS provenance_line_offset_json
FROM (
    SELECT file, line, body, json_extract(body, [
        '$.evidence_run_id', '$.evidence_task_id', '$.category', '$.reasons', '$.provenance',
        '$.provenance.source_file', '$.provenance.sig_hash', '$.provenance.line_offset']) AS f
    FROM scored_lines
    WHERE is_object
)
