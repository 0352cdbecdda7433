{% from 'macros/output_rows.sql' import output_rows %}
{{ config(materialized='publish',
    comment='One row per line of ' ~ exporters.preference.dataset ~ ' (all runs): the preference set.',
    columns={
        'id': 'pref- id: sha256 of chosen_run_id|rejected_run_id|task_id, first 16 hex characters',
        'prompt': 'Task: <task_id>, plus " · file=<file>" of the chosen run',
        'chosen': 'chosen (accepted) evidence text, trimmed',
        'rejected': 'rejected (or partially accepted) evidence text, trimmed',
        'reason': 'the two categories and the first scorer rationales',
        'chosen_run_id': 'evidence run id of the chosen run',
        'rejected_run_id': 'evidence run id of the rejected run',
        'created_at': 'recorded_at of the run that exported the row, as a timestamp with time zone',
        'created_at_text': 'created_at exactly as written in the file (SPEC: recorded_at is written as given)',
        'provenance_source_file': 'provenance.source_file of the chosen scored record',
        'provenance_line_offset': 'provenance.line_offset of the chosen scored record',
        'provenance_sig_hash': 'sha256 of the two run ids sorted by bytes and joined by |',
        'provenance_recorded_at': 'provenance.recorded_at (the run that exported the row), as a timestamp',
        'provenance_recorded_at_text': 'provenance.recorded_at exactly as written in the file',
    }) }}
SELECT
    id, prompt, chosen, rejected, reason, chosen_run_id, rejected_run_id, 
    try_cast(created_at AS TIMESTAMPTZ) AS created_at, created_at AS created_at_text,
    provenance.source_file AS provenance_source_file,
    provenance.line_offset AS provenance_line_offset,
    provenance.sig_hash AS provenance_sig_hash,
    try_cast(provenance.recorded_at AS TIMESTAMPTZ) AS provenance_recorded_at,
    provenance.recorded_at AS provenance_recorded_at_text
FROM {{ output_rows('preference_output_paths', {
        'id': 'VARCHAR',
        'prompt': 'VARCHAR',
        'chosen': 'VARCHAR',
        'rejected': 'VARCHAR',
        'reason': 'VARCHAR',
        'chosen_run_id': 'VARCHAR',
        'rejected_run_id': 'VARCHAR',
        'created_at': 'VARCHAR',
        'provenance': {'source_file': 'VARCHAR', 'line_offset': 'BIGINT', 'sig_hash': 'VARCHAR',
                       'recorded_at': 'VARCHAR'}
    }) }}
