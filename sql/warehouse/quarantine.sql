{% from 'macros/output_rows.sql' import output_rows %}
{{ config(publish=true,
    comment='One row per line of the quarantine files exports/quarantine/{rag,sft,preference}.jsonl (all runs): every refused input with its structured reason.',
    columns={
        'output_file': 'the quarantine file the row is in',
        'id': 'q- id: sha256 of exporter|reason|file|line|extra, first 16 hex characters',
        'exporter': 'rag, sft or preference',
        'reason': 'why the input was refused: one of the quarantine reasons of docs/reasons.md',
        'errors': 'human-readable errors',
        'input_file': 'the scored partition file of the refused record (chosen record for pairs)',
        'input_line': '0-based physical line of the refused record in input_file',
        'source_record': 'the record as read, {"_raw": ...} for lines that are not objects, or the built row',
        'source_provenance': 'the scored record provenance object, or NULL',
        'recorded_at': 'recorded_at of the run that quarantined it',
    }) }}
SELECT
    -- by name: a run reads its new lines from a staged copy before appending them
    'exports/quarantine/' || parse_filename(filename) AS output_file,
    id, exporter, reason, errors,
    input.file AS input_file,
    input.line AS input_line,
    source_record,
    CASE WHEN json_type(source_provenance) = 'OBJECT' THEN source_provenance END AS source_provenance,
    recorded_at
FROM {{ output_rows('quarantine_output_paths', "{
        'id': 'VARCHAR',
        'exporter': 'VARCHAR',
        'reason': 'VARCHAR',
        'errors': 'VARCHAR[]',
        'input': 'STRUCT(file VARCHAR, line BIGINT)',
        'source_record': 'JSON',
        'source_provenance': 'JSON',
        'recorded_at': 'VARCHAR'
    }", filename=true) }}
