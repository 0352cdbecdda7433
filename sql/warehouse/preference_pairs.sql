{% from 'macros/output_rows.sql' import output_rows %}
{{ config(publish=true,
    comment='One row per line of exports/preference/chosen_rejected.jsonl (all runs): the preference set.',
    columns={
        'output_line': '0-based line of the row in exports/preference/chosen_rejected.jsonl',
        'id': 'pref- id: sha256 of chosen_run_id|rejected_run_id|task_id, first 16 hex characters',
        'prompt': 'Task: <task_id>, plus " · file=<file>" of the chosen run',
        'chosen': 'chosen (accepted) evidence text, trimmed',
        'rejected': 'rejected (or partially accepted) evidence text, trimmed',
        'reason': 'the two categories and the first scorer rationales',
        'chosen_run_id': 'evidence run id of the chosen run',
        'rejected_run_id': 'evidence run id of the rejected run',
        'created_at': 'recorded_at of the run that exported the row',
        'provenance_source_file': 'provenance.source_file of the chosen scored record',
        'provenance_line_offset': 'provenance.line_offset of the chosen scored record',
        'provenance_sig_hash': 'sha256 of the two run ids sorted by bytes and joined by |',
        'provenance_recorded_at': 'recorded_at of the run that exported the row',
    }) }}
SELECT
    output_line,
    json_string(f[1]) AS id,
    json_string(f[2]) AS prompt,
    json_string(f[3]) AS chosen,
    json_string(f[4]) AS rejected,
    json_string(f[5]) AS reason,
    json_string(f[6]) AS chosen_run_id,
    json_string(f[7]) AS rejected_run_id,
    json_string(f[8]) AS created_at,
    json_string(f[9]) AS provenance_source_file,
    json_int64(f[10]) AS provenance_line_offset,
    json_string(f[11]) AS provenance_sig_hash,
    json_string(f[12]) AS provenance_recorded_at
FROM (
    SELECT output_line, json_extract(body, ['$.id', '$.prompt', '$.chosen', '$.rejected', '$.reason',
        '$.chosen_run_id', '$.rejected_run_id', '$.created_at', '$.provenance.source_file',
        '$.provenance.line_offset', '$.provenance.sig_hash', '$.provenance.recorded_at']) AS f
    FROM {{ output_rows('preference_output_paths') }}
)
ORDER BY output_line
