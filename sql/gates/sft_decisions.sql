-- The SFT exporter's decision for every record (SPEC section 5). The firewall has two
-- layers: SFT_NEVER fires before anything else reads the record (gate 2), and the row
-- validation refuses any quality_score outside {accepted, partially_accepted} again.
{% from 'macros/outcomes.sql' import record_outcomes %}
{% from 'macros/rows.sql' import sft_row, with_built_rows, common_row_checks %}
{% from 'macros/safety.sql' import safety_facts, safety_reason, safety_errors %}
{% from 'macros/duplicates.sql' import duplicate_gates %}
{% from 'macros/instructions.sql' import sft_stem, sft_has_shape, sft_instruction, sft_context %}
{% from 'macros/categories.sql' import sft_never, sft_allowed as allowed with context %}
WITH gated AS (
    SELECT *,
        CASE
            WHEN NOT is_object THEN 'schema_violation'
            WHEN list_contains({{ lit(sft_never) }}, category) THEN 'unsafe_sft_category'
            WHEN NOT list_contains({{ lit(allowed) }}, coalesce(category, '')) THEN 'category_disallowed'
            WHEN coalesce(provenance_sig_hash, '') = '' THEN 'missing_provenance'
            WHEN NOT has_run_id THEN 'missing_source_run_id'
            WHEN NOT evidence_found THEN 'missing_source_run_id'
        END AS gate_reason,
        -- SPEC 5 step 8: the instruction -> response shape, and the evidence's provenance
        {{ sft_has_shape('model_role', 'text_has_content') }} AS has_shape,
        coalesce(evidence_source_file, '') <> '' AS has_evidence_source,
        -- the template key: the evidence source file without data/_kb/ and .jsonl
        {{ sft_stem('evidence_source_file') }} AS stem,
        coalesce(source_files[1], '') AS first_file
    FROM scored_with_evidence
),
checked AS (
    SELECT *,
        CASE gate_reason
            WHEN 'schema_violation' THEN [line_error]
            WHEN 'unsafe_sft_category' THEN ['category=' || category || ' forbidden in SFT']
            WHEN 'category_disallowed' THEN
                ['category=' || coalesce(category, 'missing') || ' not in ' || {{ lit('[' ~ allowed | join(',') ~ ']') }}]
            WHEN 'missing_provenance' THEN ['provenance.sig_hash missing']
            WHEN 'missing_source_run_id' THEN
                CASE WHEN has_run_id
                    THEN ['evidence_run_id=' || evidence_run_id || ' not found in the paired evidence partition']
                    ELSE ['evidence_run_id missing'] END
        END AS gate_errors,
        -- the quarantine row's source_record is the scored record as read: joined back from
        -- scored_records when the row is written, not carried through the gates
        NULL::VARCHAR AS source_record,
        provenance AS source_provenance,
        CASE WHEN gate_reason IS NULL THEN short_id('sft-', evidence_run_id || '|' || provenance_sig_hash) END AS id,
        {{ sft_instruction('stem', 'first_file', 'task_id', 'contractor') }} AS instruction,
        {{ sft_context('matrix_corpora', 'pathway_fingerprints_seen', 'model_name') }} AS context
    FROM gated
),
validated AS (
    SELECT *,
        CASE WHEN gate_reason IS NULL THEN list_filter([
            {{ common_row_checks('id', 'provenance_source_file', 'provenance_sig_hash', 'provenance_line_offset') }},
            CASE WHEN NOT has_content(instruction) THEN 'instruction must be non-empty' END,
            CASE WHEN NOT text_has_content THEN 'response must be non-empty' END,
            CASE WHEN NOT has_content(evidence_run_id) THEN 'source_run_id must be non-empty' END,
            -- the schema's own firewall: independent of the gates above
            CASE WHEN NOT list_contains(['accepted', 'partially_accepted'], category)
                THEN 'quality_score ' || coalesce(category, 'missing') || ' is forbidden in SFT' END
        ], lambda e: e IS NOT NULL) END AS validation_errors
    FROM checked
),
late AS (
    SELECT *,
        CASE
            -- SPEC 5, gate 8: the instruction -> response shape, then the evidence provenance
            WHEN NOT has_shape THEN 'missing_source_run_id'
            WHEN NOT has_evidence_source THEN 'missing_provenance'
            {{ safety_reason() }}
            -- SPEC 5, gate 9
            WHEN len(validation_errors) > 0 THEN 'schema_violation'
        END AS late_reason,
        CASE
            WHEN NOT has_shape
                THEN ['evidence has no instruction->response shape (extraction-class role or empty text)']
            WHEN NOT has_evidence_source THEN ['evidence provenance.source_file missing']
            {{ safety_errors() }}
            ELSE validation_errors
        END AS late_errors,
        CASE
            WHEN NOT has_shape THEN '{"run_id":' || json_str(evidence_run_id)
                || ',"model_role":' || json_str(model_role)
                || ',"has_text":' || CASE WHEN text_nonempty THEN 'true' ELSE 'false' END || '}'
            -- otherwise the scored record, or for schema_violation the built row joined in below
        END AS late_source
    FROM {{ safety_facts('validated', 'gate_reason IS NULL AND has_shape AND has_evidence_source') }}
),
decided AS MATERIALIZED (
    {{ record_outcomes('late', 'exports/sft/instruction_response.jsonl', ['instruction', 'context', 'redacted']) }}
),
built AS (
    -- a row refused by validation is quarantined with the row it would have been
    {{ with_built_rows(sft_row) }}
)
-- SPEC 12.4 and 12.5: the duplicate gates compare the records that passed every other gate
SELECT * FROM ({{ duplicate_gates('built', 'exports/sft/instruction_response.jsonl') }})
