-- The preference exporter's decision for every candidate pair (SPEC 6, building a pair).
-- A candidate that fails still used its slot: the cap was applied before these checks.
{% from 'macros/outcomes.sql' import outcomes %}
{% from 'macros/rows.sql' import common_row_checks %}
WITH gated AS (
    SELECT *,
        js_trim(coalesce(chosen_text, '')) AS chosen_trimmed,
        js_trim(coalesce(rejected_text, '')) AS rejected_trimmed
    FROM preference_candidates
),
checked_pairs AS (
    SELECT *,
        CASE
            WHEN chosen_run_id = rejected_run_id THEN 'self_pairing'
            WHEN chosen_trimmed = '' OR rejected_trimmed = '' THEN 'invalid_preference_pairing'
            WHEN chosen_trimmed = rejected_trimmed THEN 'invalid_preference_pairing'
        END AS gate_reason,
        CASE
            WHEN chosen_run_id = rejected_run_id THEN ['chosen and rejected are the same run ' || chosen_run_id]
            WHEN chosen_trimmed = '' OR rejected_trimmed = '' THEN ['chosen or rejected text is empty after trim']
            WHEN chosen_trimmed = rejected_trimmed THEN ['chosen and rejected texts are identical after trim']
        END AS gate_errors,
        '{"task_id":' || json_str(task_id) || ',"chosen_run_id":' || json_str(chosen_run_id)
            || ',"rejected_run_id":' || json_str(rejected_run_id) || '}' AS source_record,
        provenance AS source_provenance,
        short_id('pref-', chosen_run_id || '|' || rejected_run_id || '|' || task_id) AS id,
        'Task: ' || task_id || CASE WHEN coalesce(chosen_source_files[1], '') <> ''
            THEN ' · file=' || chosen_source_files[1] ELSE '' END AS prompt,
        concat_ws(' | ',
            'chosen scored ''' || chosen_category || '''',
            'rejected scored ''' || rejected_category || '''',
            CASE WHEN len(chosen_reasons) > 0 THEN 'chosen-rationale: ' || left(chosen_reasons[1], 80) END,
            CASE WHEN len(rejected_reasons) > 0 THEN 'rejected-rationale: ' || left(rejected_reasons[1], 80) END
        ) AS reason_text,
        -- bytes order of the two run ids: DuckDB compares VARCHAR bytewise
        sha256(least(chosen_run_id, rejected_run_id) || '|' || greatest(chosen_run_id, rejected_run_id))
            AS pair_sig_hash
    FROM gated
),
built AS (
    SELECT * REPLACE (CASE WHEN gate_reason IS NULL THEN id END AS id),
        '{"schema_version":1,"id":' || json_str(id)
        || ',"prompt":' || json_str(prompt)
        || ',"chosen":' || json_str(chosen_trimmed)
        || ',"rejected":' || json_str(rejected_trimmed)
        || ',"reason":' || json_str(reason_text)
        || ',"chosen_run_id":' || json_str(chosen_run_id)
        || ',"rejected_run_id":' || json_str(rejected_run_id)
        || ',"created_at":' || json_str({{ lit(recorded_at) }})
        || ',"provenance":' || provenance_json(provenance_source_file_json,
            provenance_line_offset_json, json_str(pair_sig_hash), {{ lit(recorded_at) }})
        || '}' AS row_json,
        list_filter([
            {{ common_row_checks('id', 'provenance_source_file', 'pair_sig_hash', 'provenance_line_offset') }},
            CASE WHEN NOT has_content(prompt) THEN 'prompt must be non-empty' END,
            CASE WHEN NOT has_content(chosen_trimmed) THEN 'chosen must be non-empty' END,
            CASE WHEN NOT has_content(rejected_trimmed) THEN 'rejected must be non-empty' END,
            CASE WHEN NOT has_content(reason_text) THEN 'reason must be non-empty' END
        ], lambda e: e IS NOT NULL) AS validation_errors
    FROM checked_pairs
),
checked AS (
    -- the texts live on only inside row_json: this table is written to disk, and every
    -- extra copy of two texts per candidate costs more than any check here
    SELECT * EXCLUDE (chosen_text, rejected_text, chosen_trimmed, rejected_trimmed),
        CASE WHEN len(validation_errors) > 0 THEN 'schema_violation' END AS late_reason,
        validation_errors AS late_errors,
        CASE WHEN len(validation_errors) > 0 THEN row_json END AS late_source
    FROM built
)
{{ outcomes('checked', 'exports/preference/chosen_rejected.jsonl', "{'group_first': group_first, 'slot': slot}") }}
