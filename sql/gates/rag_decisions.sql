-- The RAG exporter's decision for every record (SPEC section 4): exported, quarantined
-- (with reason) or skipped_existing. Gates run in SPEC order; the first failure decides.
{% from 'macros/outcomes.sql' import record_outcomes %}
{% from 'macros/rows.sql' import rag_row, with_built_rows, common_row_checks %}
{% from 'macros/safety.sql' import safety_facts, safety_reason, safety_errors %}
{% from 'macros/duplicates.sql' import duplicate_gates %}
{% from 'macros/categories.sql' import rag_allowed as allowed with context %}
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
            WHEN NOT text_has_content THEN 'empty_content'
        END AS gate_reason
    FROM scored_with_evidence
),
checked AS (
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
        -- the quarantine row's source_record is the scored record as read: joined back from
        -- scored_records when the row is written, not carried through the gates
        NULL::VARCHAR AS source_record,
        provenance AS source_provenance,
        CASE WHEN gate_reason IS NULL THEN short_id('rag-', evidence_run_id || '|' || provenance_sig_hash) END AS id,
        CASE WHEN gate_reason IS NULL THEN coalesce(first_content_line, left(task_id, 120)) END AS title,
        list_filter([
            'task:' || split_part(task_id, ':', 1),
            'category:' || category,
            CASE WHEN model_role <> '' THEN 'role:' || model_role END,
            CASE WHEN model_name <> '' THEN 'model:' || model_name END,
            CASE WHEN len(source_files) > 0 THEN 'file:' || source_files[1] END
        ], lambda t: t IS NOT NULL) AS tags,
        -- validation of the row about to be built (defence in depth, SPEC section 3)
        CASE WHEN gate_reason IS NULL THEN list_filter([
            {{ common_row_checks("short_id('rag-', evidence_run_id || '|' || provenance_sig_hash)",
                'provenance_source_file', 'provenance_sig_hash', 'provenance_line_offset') }},
            CASE WHEN NOT has_content(coalesce(first_content_line, left(task_id, 120))) THEN 'title must be non-empty' END,
            CASE WHEN NOT text_has_content THEN 'content must be non-empty' END,
            CASE WHEN NOT has_content(evidence_run_id) THEN 'source_run_id must be non-empty' END,
            CASE WHEN category = 'rejected' OR NOT list_contains({{ lit(allowed) }}, category)
                THEN 'success_score ' || category || ' is not an allowed RAG category' END
        ], lambda e: e IS NOT NULL) END AS validation_errors
    FROM gated
),
late AS (
    -- after the id check (gate 7): the safety gates of SPEC 12, then gate 8 (validation)
{%- if redact_secrets %}
    -- SPEC 12.1 --redact-secrets: the title comes from the redacted text too
    SELECT * REPLACE (
            CASE WHEN redacted THEN coalesce(first_content_line(redacted_text), left(task_id, 120)) ELSE title END
            AS title),
{%- else %}
    SELECT *,
{%- endif %}
        CASE
            {{ safety_reason() }}
            -- SPEC 4, gate 8
            WHEN len(validation_errors) > 0 THEN 'schema_violation'
        END AS late_reason,
        CASE
            {{ safety_errors() }}
            ELSE validation_errors
        END AS late_errors,
        NULL::VARCHAR AS late_source  -- the scored record, or the built row joined in below
    FROM {{ safety_facts('checked', 'gate_reason IS NULL') }}
),
decided AS MATERIALIZED (
    {{ record_outcomes('late', 'exports/rag/playbooks.jsonl', ['title', 'tags', 'redacted']) }}
),
built AS (
    -- a row refused by validation is quarantined with the row it would have been
    {{ with_built_rows(rag_row) }}
)
-- SPEC 12.4 and 12.5: the duplicate gates compare the records that passed every other gate
SELECT * FROM ({{ duplicate_gates('built', 'exports/rag/playbooks.jsonl') }})
