-- The RAG exporter's decision for every record (SPEC section 4): exported, quarantined
-- (with reason) or skipped_existing. Gates run in SPEC order; the first failure decides.
{% from 'macros/outcomes.sql' import placed, record_outcomes, settled_records %}
{% from 'macros/rows.sql' import rag_row, with_built_rows, row_validation %}
{% from 'macros/safety.sql' import safety_facts, safety_refusals %}
{% from 'macros/duplicates.sql' import duplicate_gates %}
{% from 'macros/categories.sql' import rag_allowed as allowed with context %}
WITH gated AS (
    -- SPEC 4, gates 1-6 (before the id): the first that fails refuses the record, with
    -- its reason and errors side by side
    SELECT * EXCLUDE (refused), refused.reason AS before_id_reason, refused.errors AS before_id_errors
    FROM (
        SELECT *,
            CASE
                -- gate 1: the line is a JSON object
                WHEN NOT is_object THEN {'reason': 'schema_violation', 'errors': [line_error]}
                -- gate 2: provenance complete
                WHEN NOT provenance_complete THEN {'reason': 'missing_provenance',
                    'errors': ['provenance missing or incomplete (source_file, sig_hash)']}
                -- gate 3: evidence_run_id present
                WHEN NOT has_run_id THEN {'reason': 'missing_source_run_id', 'errors': ['evidence_run_id missing']}
                -- gate 4: category allowed (rejected never, whatever the list says)
                WHEN category = 'rejected' OR NOT list_contains({{ lit(allowed) }}, coalesce(category, ''))
                    THEN {'reason': 'category_disallowed', 'errors':
                        ['category=' || coalesce(category, 'missing') || ' not in ' || {{ lit('[' ~ allowed | join(',') ~ ']') }}]}
                -- gate 5: evidence found in the paired partition
                WHEN NOT evidence_found THEN {'reason': 'missing_source_run_id', 'errors':
                    ['evidence_run_id=' || evidence_run_id || ' not found in the paired evidence partition']}
                -- gate 6: the evidence text has a non-whitespace character
                WHEN NOT text_has_content THEN {'reason': 'empty_content',
                    'errors': ['evidence text is empty or missing; RAG needs content']}
            END AS refused
        FROM scored_with_evidence
    )
),
ids AS MATERIALIZED (
    -- gate 7: the id; a record whose row is already in the file is skipped, not judged again
    {{ placed('gated', exporters.rag.dataset, "record_id('rag-', evidence_run_id, provenance_sig_hash)") }}
),
checked AS (
    SELECT *,
        -- the quarantine row's source_record is the scored record as read: joined back from
        -- scored_records when the row is written, not carried through the gates
        NULL::VARCHAR AS source_record,
        provenance AS source_provenance,
        coalesce(first_content_line, left(task_id, 120)) AS title,
        list_filter([
            'task:' || split_part(task_id, ':', 1),
            'category:' || category,
            CASE WHEN model_role <> '' THEN 'role:' || model_role END,
            CASE WHEN model_name <> '' THEN 'model:' || model_name END,
            CASE WHEN len(source_files) > 0 THEN 'file:' || source_files[1] END
        ], lambda t: t IS NOT NULL) AS tags
    FROM ids
    WHERE judged
),
validated AS (
    SELECT *,
        -- SPEC 4, gate 8: validation of the row about to be built (defence in depth, SPEC 3)
        {{ row_validation('provenance_sig_hash',
            [('title', 'has_content(title)'), ('content', 'text_has_content'),
             ('source_run_id', 'has_content(evidence_run_id)')],
            ["CASE WHEN category = 'rejected' OR NOT list_contains(" ~ lit(allowed) ~ ", category)
                THEN 'success_score ' || category || ' is not an allowed RAG category' END"]) }} AS validation_errors
    FROM checked
),
late AS (
    -- after the id check (gate 7): the safety gates of SPEC 12, then gate 8 (validation)
    SELECT * EXCLUDE (refused), refused.reason AS after_id_reason,
        coalesce(refused.errors, validation_errors) AS after_id_errors,
        NULL::VARCHAR AS after_id_source  -- the scored record, or the built row joined in below
    FROM (
{%- if redact_secrets %}
        -- SPEC 12.1 --redact-secrets: the title comes from the redacted text too
        SELECT * REPLACE (
                CASE WHEN redacted THEN coalesce(redacted_title, left(task_id, 120)) ELSE title END
                AS title),
{%- else %}
        SELECT *,
{%- endif %}
            CASE
                {{ safety_refusals() }}
                -- SPEC 4, gate 8
                WHEN len(validation_errors) > 0 THEN {'reason': 'schema_violation', 'errors': validation_errors}
            END AS refused
        FROM {{ safety_facts('validated', 'true') }}
    )
),
decided AS MATERIALIZED (
    {{ record_outcomes('late', ['title', 'tags', 'redacted']) }}
),
built AS (
    -- a row refused by validation is quarantined with the row it would have been
    {{ with_built_rows(rag_row) }}
)
-- SPEC 12.4 and 12.5: the duplicate gates compare the records that passed every other gate
SELECT * FROM ({{ duplicate_gates('built', exporters.rag.dataset) }})
-- the records settled before judging (refused before the id, or already there)
UNION ALL
{{ settled_records('ids', ['title', 'tags', 'redacted']) }}
