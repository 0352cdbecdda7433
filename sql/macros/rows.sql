{#-
  Jinja macros: the dataset rows as JSON text, keys in SPEC order, byte format of SPEC 3.
  `d` is the decision row's alias, `text` the evidence text expression. Export models use
  them for the rows they write; decisions use them for the built row a schema_violation
  quarantines.
-#}
{% macro rag_row(d, text) -%}
'{"schema_version":1,"id":' || json_str({{ d }}.id)
    || ',"title":' || json_str({{ d }}.title)
    || ',"content":' || json_str({{ text }})
    || ',"tags":' || json_str_list({{ d }}.tags)
    || ',"source_run_id":' || json_str({{ d }}.evidence_run_id)
    || ',"success_score":' || json_str({{ d }}.category)
    || ',"source_category":' || json_str({{ d }}.category)
    || ',"embedding_text":' || json_str(left({{ text }}, 2000))
    || ',"created_at":' || json_str(getvariable('recorded_at'))
    || ',"provenance":' || provenance_json({{ d }}.provenance_source_file_json,
        {{ d }}.provenance_line_offset_json, {{ d }}.provenance_sig_hash_json, getvariable('recorded_at'))
    || '}'
{%- endmacro %}

{% macro sft_row(d, text) -%}
'{"schema_version":1,"id":' || json_str({{ d }}.id)
    || ',"instruction":' || json_str({{ d }}.instruction)
    || ',"context":' || json_str({{ d }}.context)
    || ',"response":' || json_str({{ text }})
    || ',"source_run_id":' || json_str({{ d }}.evidence_run_id)
    || ',"quality_score":' || json_str({{ d }}.category)
    || ',"created_at":' || json_str(getvariable('recorded_at'))
    || ',"provenance":' || provenance_json({{ d }}.provenance_source_file_json,
        {{ d }}.provenance_line_offset_json, {{ d }}.provenance_sig_hash_json, getvariable('recorded_at'))
    || '}'
{%- endmacro %}

{#- The rows of `decisions` that pass `row_filter`, with their evidence text joined back.
    The filtered decisions are the join's build side; the texts stream past it. -#}
{% macro with_text(decisions, row_filter) -%}
(
    SELECT d.*, {{ 'coalesce(s.redacted, e.text)' if redact_secrets else 'e.text' }} AS text
    FROM (SELECT * FROM {{ decisions }} WHERE {{ row_filter }}) AS d
    JOIN evidence AS e ON e.partition = d.partition AND e.run_id = d.evidence_run_id
{%- if redact_secrets %}
    -- SPEC 12.1 --redact-secrets: the row is built from the redacted text
    LEFT JOIN text_secrets AS s ON s.partition = d.partition AND s.run_id = d.evidence_run_id
{%- endif %}
)
{%- endmacro %}

{#- The decisions (CTE `decided`) with each schema_violation found by validation carrying
    the row it would have been as its quarantine source_record. Those rows are rare: they
    are built apart and the rest pass through untouched (a join of every decision with
    them cost a hash table of all decisions). -#}
{% macro with_built_rows(row_builder) -%}
{% set built = "reason = 'schema_violation' AND before_id_reason IS NULL" %}
SELECT * FROM decided WHERE NOT coalesce({{ built }}, false)
UNION ALL
SELECT w.* EXCLUDE (text) REPLACE ({{ row_builder('w', 'w.text') }} AS quarantine_source)
FROM {{ with_text('decided', built) }} AS w
{%- endmacro %}

{#- The validation rules common to the three row schemas (SPEC 3), as list elements. -#}
{% macro common_row_checks(id, source_file, sig_hash, line_offset) -%}
CASE WHEN NOT has_content({{ id }}) THEN 'id must be non-empty' END,
            CASE WHEN NOT has_content({{ source_file }}) THEN 'provenance.source_file must be non-empty' END,
            CASE WHEN NOT has_content({{ sig_hash }}) THEN 'provenance.sig_hash must be non-empty' END,
            CASE WHEN coalesce({{ line_offset }} < 0, true) THEN 'provenance.line_offset must be an integer >= 0' END
{%- endmacro %}

{#- The validation errors of a row about to be built (SPEC 3, the common rules, then each
    `non_empty` (field, expression true when it has content) and the `extra` checks, CASE
    expressions giving a message or NULL), as a list; empty when the row is valid. -#}
{% macro row_validation(sig_hash, non_empty, extra=[]) -%}
list_filter([
            {{ common_row_checks('id', 'provenance_source_file', sig_hash, 'provenance_line_offset') }},
{%- for field, has in non_empty %}
            CASE WHEN NOT {{ has }} THEN {{ lit(field ~ ' must be non-empty') }} END{{ ',' if not loop.last or extra }}
{%- endfor %}
{%- for check in extra %}
            {{ check }}{{ ',' if not loop.last }}
{%- endfor %}
        ], lambda e: e IS NOT NULL)
{%- endmacro %}
