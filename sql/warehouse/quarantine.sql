{% from 'macros/output_rows.sql' import output_rows %}
{{ config(publish=true,
    comment='One row per line of the quarantine files exports/quarantine/{rag,sft,preference}.jsonl (all runs): every refused input with its structured reason.',
    columns={
        'output_file': 'the quarantine file the row is in',
        'output_line': '0-based line of the row in that file',
        'id': 'q- id: sha256 of exporter|reason|file|line|extra, first 16 hex characters',
        'exporter': 'rag, sft or preference',
        'reason': 'one of the 11 quarantine reasons (SPEC section 8)',
        'errors': 'human-readable errors',
        'input_file': 'the scored partition file of the refused record (chosen record for pairs)',
        'input_line': '0-based physical line of the refused record in input_file',
        'source_record': 'the record as read, {"_raw": ...} for lines that are not objects, or the built row',
        'source_provenance': 'the scored record provenance object, or NULL',
        'recorded_at': 'recorded_at of the run that quarantined it',
    }) }}
SELECT
    output_file,
    output_line,
    json_string(f[1]) AS id,
    json_string(f[2]) AS exporter,
    json_string(f[3]) AS reason,
    json_strings(f[4]) AS errors,
    json_string(f[5]) AS input_file,
    json_int64(f[6]) AS input_line,
    f[7] AS source_record,
    CASE WHEN json_type(f[8]) = 'OBJECT' THEN f[8] END AS source_provenance,
    json_string(f[9]) AS recorded_at
FROM (
    SELECT output_file, output_line, json_extract(body, ['$.id', '$.exporter', '$.reason', '$.errors',
        '$.input.file', '$.input.line', '$.source_record', '$.source_provenance', '$.recorded_at']) AS f
    FROM {{ output_rows('quarantine_output_paths') }}
)
ORDER BY output_file, output_line
