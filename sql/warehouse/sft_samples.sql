{% from 'macros/output_rows.sql' import output_rows %}
{{ config(publish=true,
    comment='One row per line of exports/sft/instruction_response.jsonl (all runs): the SFT set.',
    columns={
        'output_line': '0-based line of the row in exports/sft/instruction_response.jsonl',
        'id': 'sft- id: sha256 of evidence_run_id|sig_hash, first 16 hex characters',
        'instruction': 'instruction chosen by the evidence source class',
        'context': 'matrix=, pathway_fingerprints=, model= parts joined by " · "',
        'response': 'the evidence text, unchanged',
        'source_run_id': 'the evidence run id (joins evidence.run_id)',
        'quality_score': 'accepted, or partially_accepted when opted in; never rejected or needs_human_review',
        'created_at': 'recorded_at of the run that exported the row',
        'provenance_source_file': 'provenance.source_file of the scored record',
        'provenance_line_offset': 'provenance.line_offset of the scored record',
        'provenance_sig_hash': 'provenance.sig_hash of the scored record',
        'provenance_recorded_at': 'recorded_at of the run that exported the row',
    }) }}
SELECT
    output_line,
    json_string(f[1]) AS id,
    json_string(f[2]) AS instruction,
    json_string(f[3]) AS context,
    json_string(f[4]) AS response,
    json_string(f[5]) AS source_run_id,
    json_string(f[6]) AS quality_score,
    json_string(f[7]) AS created_at,
    json_string(f[8]) AS provenance_source_file,
    json_int64(f[9]) AS provenance_line_offset,
    json_string(f[10]) AS provenance_sig_hash,
    json_string(f[11]) AS provenance_recorded_at
FROM (
    SELECT output_line, json_extract(body, ['$.id', '$.instruction', '$.context', '$.response',
        '$.source_run_id', '$.quality_score', '$.created_at', '$.provenance.source_file',
        '$.provenance.line_offset', '$.provenance.sig_hash', '$.provenance.recorded_at']) AS f
    FROM {{ output_rows('sft_output_paths') }}
)
ORDER BY output_line
