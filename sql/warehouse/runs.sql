{% from 'macros/output_rows.sql' import output_rows %}
{{ config(publish=true,
    comment='One row per exporter run (not dry runs), from reports/distillation/runs.jsonl: when, options, every summary count.',
    columns={
        'run_id': 'id of the command run (sortable by time); export-all gives its three exporters one run_id',
        'exporter': 'rag, sft or preference',
        'started_at': 'when the command started (UTC, ISO-8601)',
        'finished_at': 'when the command finished writing (UTC, ISO-8601)',
        'recorded_at': 'the recorded_at written into rows',
        'include_review': 'the --include-review option',
        'include_partial': 'the --include-partial option',
        'max_pairs_per_task': 'the --max-pairs-per-task option',
        'scored_files_read': 'scored partition files read',
        'records_read': 'non-blank scored lines read',
        'records_exported': 'rows exported (pairs for preference)',
        'records_quarantined': 'records (pairs) quarantined',
        'skipped_existing': 'records whose row was already in the output file',
        'quarantine_by_reason': 'quarantined counts by reason (JSON object)',
        'input_errors': 'input errors found (see input_errors)',
        'output_path': 'the dataset file',
        'task_ids_with_pairs': 'preference: tasks with a pair exported in this run',
        'insufficient_pair_task_ids': 'preference: tasks without a candidate pair',
        'records_skipped': 'preference: records not indexed for pairing',
    }) }}
SELECT
    json_string(f[1]) AS run_id,
    json_string(f[2]) AS exporter,
    json_string(f[3]) AS started_at,
    json_string(f[4]) AS finished_at,
    json_string(f[5]) AS recorded_at,
    CAST(f[6] AS BOOLEAN) AS include_review,
    CAST(f[7] AS BOOLEAN) AS include_partial,
    json_int64(f[8]) AS max_pairs_per_task,
    json_int64(f[9]) AS scored_files_read,
    json_int64(f[10]) AS records_read,
    json_int64(f[11]) AS records_exported,
    json_int64(f[12]) AS records_quarantined,
    json_int64(f[13]) AS skipped_existing,
    f[14] AS quarantine_by_reason,
    json_int64(f[15]) AS input_errors,
    json_string(f[16]) AS output_path,
    json_int64(f[17]) AS task_ids_with_pairs,
    json_int64(f[18]) AS insufficient_pair_task_ids,
    json_int64(f[19]) AS records_skipped
FROM (
    SELECT output_line, json_extract(body, ['$.run_id', '$.exporter', '$.started_at', '$.finished_at',
        '$.recorded_at', '$.include_review', '$.include_partial', '$.max_pairs_per_task',
        '$.scored_files_read', '$.records_read', '$.records_exported', '$.records_quarantined',
        '$.skipped_existing', '$.quarantine_by_reason', '$.input_errors', '$.output_path',
        '$.task_ids_with_pairs', '$.insufficient_pair_task_ids', '$.records_skipped']) AS f
    FROM {{ output_rows('runs_paths') }}
)
ORDER BY output_line
