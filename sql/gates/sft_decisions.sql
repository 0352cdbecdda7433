-- The SFT exporter's decision for every record (SPEC section 5). The firewall has two
-- layers: SFT_NEVER fires before anything else reads the record (gate 2), and the row
-- validation refuses any quality_score outside {accepted, partially_accepted} again.
{% from 'macros/outcomes.sql' import placed, record_outcomes, settled_records %}
{% from 'macros/rows.sql' import sft_row, with_built_rows, row_validation %}
{% from 'macros/safety.sql' import safety_facts, safety_refusals %}
{% from 'macros/duplicates.sql' import duplicate_gates %}
{% from 'macros/instructions.sql' import sft_stem, sft_has_shape, sft_instruction, sft_context %}
{% from 'macros/categories.sql' import sft_never, sft_schema, sft_allowed as allowed with context %}
WITH gated AS (
    SELECT * EXCLUDE (refused), refused.reason AS before_id_reason, refused.errors AS before_id_errors
    FROM (
        SELECT *,
            -- SPEC 5, gates 1-6 (before the id): the first that fails refuses the record
            CASE
                -- gate 1: JSON object
                WHEN NOT is_object THEN {'reason': 'schema_violation', 'errors': [line_error]}
                -- gate 2: the firewall, before anything else reads the record
                WHEN list_contains({{ lit(sft_never) }}, category)
                    THEN {'reason': 'unsafe_sft_category', 'errors': ['category=' || category || ' forbidden in SFT']}
                -- gate 3: category allowed
                WHEN NOT list_contains({{ lit(allowed) }}, coalesce(category, '')) THEN {'reason': 'category_disallowed',
                    'errors': ['category=' || coalesce(category, 'missing') || ' not in ' || {{ lit('[' ~ allowed | join(',') ~ ']') }}]}
                -- gate 4: provenance.sig_hash present
                WHEN coalesce(provenance_sig_hash, '') = ''
                    THEN {'reason': 'missing_provenance', 'errors': ['provenance.sig_hash missing']}
                -- gate 5: evidence_run_id present
                WHEN NOT has_run_id THEN {'reason': 'missing_source_run_id', 'errors': ['evidence_run_id missing']}
                -- gate 6: evidence found
                WHEN NOT evidence_found THEN {'reason': 'missing_source_run_id', 'errors':
                    ['evidence_run_id=' || evidence_run_id || ' not found in the paired evidence partition']}
            END AS refused
        FROM scored_with_evidence
    )
),
ids AS MATERIALIZED (
    -- gate 7: the id; a record whose row is already in the file is skipped, not judged again
    {{ placed('gated', exporters.sft.dataset, "record_id('sft-', evidence_run_id, provenance_sig_hash)") }}
),
shaped AS (
    SELECT *,
        -- SPEC 5 step 8: the instruction -> response shape, and the evidence's provenance
        {{ sft_has_shape('model_role', 'text_has_content') }} AS has_shape,
        coalesce(evidence_source_file, '') <> '' AS has_evidence_source,
        -- the template key: the evidence source file without data/_kb/ and .jsonl
        {{ sft_stem('evidence_source_file') }} AS stem,
        coalesce(source_files[1], '') AS first_file
    FROM ids
    WHERE judged
),
checked AS (
    SELECT *,
        -- the quarantine row's source_record is the scored record as read: joined back from
        -- scored_records when the row is written, not carried through the gates
        NULL::VARCHAR AS source_record,
        provenance AS source_provenance,
        {{ sft_instruction('stem', 'first_file', 'task_id', 'contractor') }} AS instruction,
        {{ sft_context('matrix_corpora', 'pathway_fingerprints_seen', 'model_name') }} AS context
    FROM shaped
),
validated AS (
    SELECT *,
        -- SPEC 5, gate 9; the quality_score check is the schema's own firewall, independent of
        -- the gates above
        {{ row_validation('provenance_sig_hash',
            [('instruction', 'has_content(instruction)'), ('response', 'text_has_content'),
             ('source_run_id', 'has_content(evidence_run_id)')],
            ["CASE WHEN NOT list_contains(" ~ lit(sft_schema) ~ ", category)
                THEN 'quality_score ' || coalesce(category, 'missing') || ' is forbidden in SFT' END"]) }} AS validation_errors
    FROM checked
),
late AS (
    SELECT * EXCLUDE (refused), refused.reason AS after_id_reason,
        coalesce(refused.errors, validation_errors) AS after_id_errors,
        CASE
            WHEN NOT has_shape THEN '{"run_id":' || json_str(evidence_run_id)
                || ',"model_role":' || json_str(model_role)
                || ',"has_text":' || CASE WHEN text_nonempty THEN 'true' ELSE 'false' END || '}'
            -- otherwise the scored record, or for schema_violation the built row joined in below
        END AS after_id_source
    FROM (
        SELECT *,
            CASE
                -- SPEC 5, gate 8: the instruction -> response shape, then the evidence provenance
                WHEN NOT has_shape THEN {'reason': 'missing_source_run_id', 'errors':
                    ['evidence has no instruction->response shape (extraction-class role or empty text)']}
                WHEN NOT has_evidence_source THEN {'reason': 'missing_provenance',
                    'errors': ['evidence provenance.source_file missing']}
                {{ safety_refusals() }}
                -- SPEC 5, gate 9
                WHEN len(validation_errors) > 0 THEN {'reason': 'schema_violation', 'errors': validation_errors}
            END AS refused
        FROM {{ safety_facts('validated', 'has_shape AND has_evidence_source') }}
    )
),
decided AS MATERIALIZED (
    {{ record_outcomes('late', ['instruction', 'context', 'redacted']) }}
),
built AS (
    -- a row refused by validation is quarantined with the row it would have been
    {{ with_built_rows(sft_row) }}
)
-- SPEC 12.4 and 12.5: the duplicate gates compare the records that passed every other gate
SELECT * FROM ({{ duplicate_gates('built', exporters.sft.dataset) }})
-- the records settled before judging (refused before the id, or already there)
UNION ALL
{{ settled_records('ids', ['instruction', 'context', 'redacted']) }}
