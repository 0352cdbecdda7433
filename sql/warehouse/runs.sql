{% from 'macros/output_rows.sql' import output_rows %}
{#- the summary counts some exporters add (exporters.toml), as columns -#}
{% set extra = {} %}
{%- for e in exporters.values() %}{% for x in e.extra %}{% set _ = extra.update({x.key: x.comment}) %}{% endfor %}{% endfor %}
{% set columns = {
        'run_id': 'id of the command run (sortable by time); export-all gives its three exporters one run_id',
        'exporter': 'the exporter: ' ~ exporters | join(', '),
        'started_at': 'when the command started, as a timestamp with time zone',
        'finished_at': 'when the command finished writing, as a timestamp with time zone',
        'recorded_at': 'the recorded_at written into rows, as a timestamp with time zone',
        'recorded_at_text': 'recorded_at exactly as given (and written into rows)',
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
        'ignored_files': 'files under data/ that are not partition files (see ignored_files); NULL for runs before it was counted',
        'output_path': 'the dataset file',
} %}
{% set _ = columns.update(extra) %}
{% set _ = columns.update({
        'records_redacted': 'rows exported with secrets replaced by [REDACTED:<kind>] (--redact-secrets; else NULL)',
        'safety_gates': 'the safety gates of the run and their settings (JSON object keyed by quarantine reason)',
}) %}
{{ config(materialized='publish',
    comment='One row per exporter run (not dry runs), from reports/distillation/runs.jsonl: when, options, every summary count.',
    columns=columns) }}
SELECT * REPLACE (
        try_cast(started_at AS TIMESTAMPTZ) AS started_at,
        try_cast(finished_at AS TIMESTAMPTZ) AS finished_at,
        try_cast(recorded_at AS TIMESTAMPTZ) AS recorded_at),
    recorded_at AS recorded_at_text
{% set types %}{
        'run_id': 'VARCHAR',
        'exporter': 'VARCHAR',
        'started_at': 'VARCHAR',
        'finished_at': 'VARCHAR',
        'recorded_at': 'VARCHAR',
        'include_review': 'BOOLEAN',
        'include_partial': 'BOOLEAN',
        'max_pairs_per_task': 'BIGINT',
        'scored_files_read': 'BIGINT',
        'records_read': 'BIGINT',
        'records_exported': 'BIGINT',
        'records_quarantined': 'BIGINT',
        'skipped_existing': 'BIGINT',
        'quarantine_by_reason': 'JSON',
        'input_errors': 'BIGINT',
        'ignored_files': 'BIGINT',
        'output_path': 'VARCHAR',
        {%- for key in extra %}
        {{ lit(key) }}: 'BIGINT',
        {%- endfor %}
        'records_redacted': 'BIGINT',
        'safety_gates': 'JSON'
    }{% endset %}
FROM {{ output_rows('runs_paths', types, key='run_id') }}
