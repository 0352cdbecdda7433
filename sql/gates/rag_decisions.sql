-- The RAG exporter's decision for every record (SPEC section 4): exported, quarantined
-- (with reason) or skipped_existing. Gates run in SPEC order; the first failure decides.
{% from 'macros/outcomes.sql' import outcomes %}
{% set allowed = ['accepted', 'partially_accepted'] + (['needs_human_review'] if include_review else []) %}
WITH gated AS (
    SELECT *,
        CASE
            WHEN NOT is_object THEN 'schema_violation'
            WHEN NOT provenance_complete THEN 'missing_provenance'
            WHEN NOT has_run_id THEN 'missing_source_run_id'
            -- rejected is never allowed, whatever the list says
            WHEN category = 'rejected' OR NOT list_contains({{ lit(allowed) }}, coalesce(category, ''))
                THEN 'category_disallowed'
            WHEN NOT evidence_found THEN 'missing_source_run_id'
            WHEN NOT has_content(text) THEN 'empty_content'
        END AS gate_reason
    FROM scored_with_evidence
),
built AS (
    SELECT *,
        CASE gate_reason
            WHEN 'schema_violation' THEN [line_error]
            WHEN 'missing_provenance' THEN ['provenance missing or incomplete (source_file, sig_hash)']
            WHEN 'category_disallowed' THEN
                ['category=' || coalesce(category, 'missing') || ' not in ' || {{ lit('[' ~ allowed | join(',') ~ ']') }}]
            WHEN 'missing_source_run_id' THEN
                CASE WHEN has_run_id
                    THEN ['evidence_run_id=' || evidence_run_id || ' not found in the paired evidence partition']
                    ELSE ['evidence_run_id missing'] END
            WHEN 'empty_content' THEN ['evidence text is empty or missing; RAG needs content']
        END AS gate_errors,
        CASE WHEN is_object THEN record ELSE '{"_raw":' || json_str(excerpt) || '}' END AS source_record,
        provenance AS source_provenance,
        CASE WHEN gate_reason IS NULL THEN short_id('rag-', evidence_run_id || '|' || provenance_sig_hash) END AS id,
        CASE WHEN gate_reason IS NULL THEN left(coalesce(
            CASE WHEN has_content(split_part(text, chr(10), 1)) THEN split_part(text, chr(10), 1)
                 ELSE list_filter(string_split(text, chr(10)), lambda l: has_content(l))[1] END,
            task_id), 120) END AS title,
        list_filter([
            'task:' || split_part(task_id, ':', 1),
            'category:' || category,
            CASE WHEN model_role <> '' THEN 'role:' || model_role END,
            CASE WHEN model_name <> '' THEN 'model:' || model_name END,
            CASE WHEN len(source_files) > 0 THEN 'file:' || source_files[1] END
        ], lambda t: t IS NOT NULL) AS tags
    FROM gated
),
candidates AS (
    SELECT *,
        CASE WHEN gate_reason IS NULL THEN
            '{"schema_version":1,"id":' || json_str(id)
            || ',"title":' || json_str(title)
            || ',"content":' || json_str(text)
            || ',"tags":' || json_str_list(tags)
            || ',"source_run_id":' || json_str(evidence_run_id)
            || ',"success_score":' || json_str(category)
            || ',"source_category":' || json_str(category)
            || ',"embedding_text":' || json_str(left(text, 2000))
            || ',"created_at":' || json_str({{ lit(recorded_at) }})
            || ',"provenance":' || provenance_json(provenance_source_file_json,
                provenance_line_offset_json, provenance_sig_hash_json, {{ lit(recorded_at) }})
            || '}'
        END AS row_json,
        -- validation just before the write (defence in depth, SPEC section 3)
        CASE WHEN gate_reason IS NULL THEN list_filter([
            CASE WHEN NOT has_content(id) THEN 'id must be non-empty' END,
            CASE WHEN NOT has_content(provenance_source_file) THEN 'provenance.source_file must be non-empty' END,
            CASE WHEN NOT has_content(provenance_sig_hash) THEN 'provenance.sig_hash must be non-empty' END,
            CASE WHEN coalesce(provenance_line_offset < 0, true) THEN 'provenance.line_offset must be an integer >= 0' END,
            CASE WHEN NOT has_content(title) THEN 'title must be non-empty' END,
            CASE WHEN NOT has_content(text) THEN 'content must be non-empty' END,
            CASE WHEN NOT has_content(evidence_run_id) THEN 'source_run_id must be non-empty' END,
            CASE WHEN category = 'rejected' OR NOT list_contains({{ lit(allowed) }}, category)
                THEN 'success_score ' || category || ' is not an allowed RAG category' END
        ], lambda e: e IS NOT NULL) END AS validation_errors
    FROM built
),
checked AS (
    SELECT *,
        CASE WHEN len(validation_errors) > 0 THEN 'schema_violation' END AS late_reason,
        validation_errors AS late_errors,
        row_json AS late_source
    FROM candidates
)
{{ outcomes('checked', 'exports/rag/playbooks.jsonl', 'file, line') }}
