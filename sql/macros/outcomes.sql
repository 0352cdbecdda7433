{#-
  Jinja macro: the last steps every exporter shares (SPEC section 3).
  `candidates` has one row per record (or preference candidate) with
      before_id_reason, before_id_errors   the first failing gate before the id step, else NULL
      id, row_json               the dataset id and the built row (when the gates passed)
      after_id_reason, after_id_errors,  the first failing check after the id step (shape checks,
      after_id_source                schema validation) and its quarantine source_record
      source_record              the quarantine source_record for the other reasons, or NULL
                                 for the scored record itself (joined in when written)
      already_there              the id is already in the output file (see placed below)
  and this adds
      outcome   exported | quarantined | skipped_existing
      reason    the quarantine reason, else NULL
      errors    the quarantine errors, else NULL
      quarantine_source          the source_record to write into the quarantine row
  An id already in the output file is skipped_existing; an id exported earlier in this run
  (in `order_key` order, a struct expression) is duplicate_id.
-#}
{% macro outcomes(candidates, order_key) -%}
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
    FROM {{ candidates }} AS c
    LEFT JOIN (
        SELECT id, min({{ order_key }}) AS k
        FROM {{ candidates }}
        WHERE before_id_reason IS NULL AND after_id_reason IS NULL
        GROUP BY id
    ) AS first_ok ON first_ok.id = c.id
) AS c
{%- endmacro %}

{#-
  Jinja macro: `rel` (one row per record or preference candidate, with before_id_reason
  and before_id_errors, and `id` unless `id_expr` gives it for a record that passed the
  gates before the id) with `already_there`: the id is in `output_file` (SPEC 3,
  idempotent append), and `judged`: neither that nor refused before the id. Only judged
  rows go further (the checks after the id, the safety gates of SPEC 12), so a
  night's run judges what is new, not every record of the history again. No record that
  is not judged can change the fate of one that is: an id already exported is never
  exported again (so never makes another record a duplicate_id), and the duplicate gates
  compare only records about to be exported and the rows of the output file.
-#}
{% macro placed(rel, output_file, id_expr=none) -%}
SELECT r.*, x.id IS NOT NULL AS already_there, r.before_id_reason IS NULL AND x.id IS NULL AS judged
FROM {% if id_expr -%}
    (SELECT *, CASE WHEN before_id_reason IS NULL THEN {{ id_expr }} END AS id FROM {{ rel }})
{%- else %}{{ rel }}{% endif %} AS r
LEFT JOIN (SELECT id FROM existing_ids WHERE file = {{ lit(output_file) }}) AS x
    ON x.id = r.id AND r.before_id_reason IS NULL
{%- endmacro %}

{% set record_columns = "file, line, partition, before_id_reason, outcome, reason, errors, quarantine_source,
    source_provenance, id, evidence_run_id, category, provenance_source_file_json,
    provenance_line_offset_json, provenance_sig_hash_json" %}

{#-
  Jinja macro: outcomes for the judged records (RAG, SFT) of `placed` (the ones neither
  refused before the id nor already there), keeping only what the export, quarantine and
  summary models read, plus `row_columns` (what the exporter's row builder needs besides
  the text). The result is written to disk, and the records' other fields are already in
  scored_records.
-#}
{% macro record_outcomes(candidates, row_columns) -%}
SELECT {{ record_columns }}, {{ row_columns | join(', ') }}
FROM ({{ outcomes(candidates, "{'file': file, 'line': line}") }})
{%- endmacro %}

{#-
  Jinja macro: the records `placed` settled before judging (refused before the id, or
  already there), as record_outcomes gives rows, the row columns NULL. A decisions model
  adds them last, so they go through none of its joins.
-#}
{% macro settled_records(placed, row_columns) -%}
SELECT {{ record_columns }}, {% for c in row_columns %}NULL AS {{ c }}{{ ', ' if not loop.last }}{% endfor %}
FROM (
    SELECT *,
        CASE WHEN before_id_reason IS NOT NULL THEN 'quarantined' ELSE 'skipped_existing' END AS outcome,
        before_id_reason AS reason, before_id_errors AS errors,
        NULL::VARCHAR AS quarantine_source, provenance AS source_provenance
    FROM {{ placed }}
    WHERE NOT judged
)
{%- endmacro %}
