{% from 'macros/output_rows.sql' import output_rows %}
{{ config(materialized='publish',
    comment='One row per line of ' ~ exporters.sft.dataset ~ ' (all runs): the SFT set.',
    columns={
        'id': 'sft- id: sha256 of evidence_run_id|sig_hash, first 16 hex characters',
        'instruction': 'instruction chosen by the evidence source class',
        'context': 'matrix=, pathway_fingerprints=, model= parts joined by " · "',
        'response': 'the evidence text, unchanged',
        'source_run_id': 'the evidence run id (joins evidence.run_id)',
        'quality_score': 'accepted, or partially_accepted when opted in; never rejected or needs_human_review',
        'created_at': 'recorded_at of the run that exported the row, as a timestamp with time zone',
        'created_at_text': 'created_at exactly as written in the file (SPEC: recorded_at is written as given)',
        'provenance_source_file': 'provenance.source_file of the scored record',
        'provenance_line_offset': 'provenance.line_offset of the scored record',
        'provenance_sig_hash': 'provenance.sig_hash of the scored record',
        'provenance_recorded_at': 'provenance.recorded_at (the run that exported the row), as a timestamp',
        'provenance_recorded_at_text': 'provenance.recorded_at exactly as written in the file',
    }) }}
SELECT
    id, instruction, context, response, source_run_id, quality_score, 
    try_cast(created_at AS TIMESTAMPTZ) AS created_at, created_at AS created_at_text,
    provenance.source_file AS provenance_source_file,
    provenance.line_offset AS provenance_line_offset,
    provenance.sig_hash AS provenance_sig_hash,
    try_cast(provenance.recorded_at AS TIMESTAMPTZ) AS provenance_recorded_at,
    provenance.recorded_at AS provenance_recorded_at_text
FROM {{ output_rows('sft_output_paths', {
        'id': 'VARCHAR',
        'instruction': 'VARCHAR',
        'context': 'VARCHAR',
        'response': 'VARCHAR',
        'source_run_id': 'VARCHAR',
        'quality_score': 'VARCHAR',
        'created_at': 'VARCHAR',
        'provenance': {'source_file': 'VARCHAR', 'line_offset': 'BIGINT', 'sig_hash': 'VARCHAR',
                       'recorded_at': 'VARCHAR'}
    }) }}
