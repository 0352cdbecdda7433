{#-
  Jinja macro: the last steps every exporter shares (SPEC section 3).
  `candidates` has one row per record (or preference candidate) with
      before_id_reason, before_id_errors   the first failing gate before the id step, else NULL
      id, row_json               the dataset id and the built row (when the gates passed)
      after_id_reason, after_id_errors,  the first failing check after the id step (shape checks,
      after_id_source                schema validation) and its quarantine source_record
      source_record              the quarantine source_record for the other reasons, or NULL
                                 for the scored record itself (joined in when written)
  and this adds
      outcome   exported | quarantined | skipped_existing
      reason    the quarantine reason, else NULL
      errors    the quarantine errors, else NULL
      quarantine_source          the source_record to write into the quarantine row
  An id already in `output_file` is skipped_existing; an id exported earlier in this run
  (in `order_key` order, a struct expression) is duplicate_id.
-#}
{% macro outcomes(candidates, output_file, order_key) -%}
SELECT c.*,
    CASE
        WHEN before_id_reason IS NOT NULL THEN 'quarantined'
        WHEN already_there THEN 'skipped_existing'
        WHEN exported_earlier OR after_id_reason IS NOT NULL THEN 'quarantined'
        ELSE 'exported'
    END AS outcome,
    CASE
        WHEN before_id_reason IS NOT NULL THEN before_id_reason
        WHEN already_there THEN NULL
        WHEN exported_earlier THEN 'duplicate_id'
        ELSE after_id_reason
    END AS reason,
    CASE
        WHEN before_id_reason IS NOT NULL THEN before_id_errors
        WHEN already_there THEN NULL
        WHEN exported_earlier THEN ['id ' || id || ' already exported in this run']
        ELSE after_id_errors
    END AS errors,
    CASE
        WHEN before_id_reason IS NULL AND NOT already_there AND NOT exported_earlier
            AND after_id_reason IS NOT NULL THEN after_id_source
        ELSE source_record
    END AS quarantine_source
FROM (
    SELECT c.*,
        -- the first exported row per id, found on narrow columns and joined back (a window
        -- over the wide rows would sort every text)
        before_id_reason IS NULL AND coalesce(first_ok.k < {{ order_key }}, false) AS exported_earlier
    FROM (
        SELECT c.*, coalesce(x.id IS NOT NULL, false) AS already_there
        FROM {{ candidates }} AS c
        LEFT JOIN (SELECT id FROM existing_ids WHERE file = {{ lit(output_file) }}) AS x
            ON x.id = c.id AND c.before_id_reason IS NULL
    ) AS c
    LEFT JOIN (
        SELECT id, min({{ order_key }}) AS k
        FROM {{ candidates }}
        WHERE before_id_reason IS NULL AND after_id_reason IS NULL
        GROUP BY id
    ) AS first_ok ON first_ok.id = c.id
) AS c
{%- endmacro %}

{#-
  Jinja macro: outcomes for one row per record (RAG, SFT), keeping only what the export,
  quarantine and summary models read, plus `row_columns` (what the exporter's row builder
  needs besides the text). The result is written to disk, and the records' other fields
  are already in scored_records.
-#}
{% macro record_outcomes(candidates, output_file, row_columns) -%}
SELECT file, line, partition, before_id_reason, outcome, reason, errors, quarantine_source,
    source_provenance, id, evidence_run_id, category, provenance_source_file_json,
    provenance_line_offset_json, provenance_sig_hash_json, {{ row_columns | join(', ') }}
FROM ({{ outcomes(candidates, output_file, "{'file': file, 'line': line}") }})
{%- endmacro %}
