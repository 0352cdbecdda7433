{#-
  Jinja macro: the quarantine rows (SPEC 3.1) of one exporter's decisions that are not yet
  in its quarantine file. `extra` is the id seed's last part (the rejected record's
  location for preference pairs, empty otherwise).
-#}
{% macro quarantine_lines(exporter, decisions, order_by, extra="''") -%}
{% set output_file = exporters[exporter].quarantine %}
SELECT quarantine_json(qid, {{ lit(exporter) }}, reason, errors, q.file, q.line,
        -- by default the scored record as read, or {"_raw": ...} for a line that is not one
        coalesce(quarantine_source,
                 CASE WHEN s.is_object THEN s.record ELSE '{"_raw":' || json_str(s.excerpt) || '}' END),
        q.source_provenance, getvariable('recorded_at')) AS jsonl
FROM (
    SELECT *,
        short_id('q-', {{ lit(exporter) }} || '|' || reason || '|' || file || '|' || line || '|' || {{ extra }}) AS qid
    FROM {{ decisions }}
    WHERE outcome = 'quarantined'
) AS q
JOIN scored_records AS s ON s.file = q.file AND s.line = q.line
WHERE qid NOT IN (SELECT id FROM existing_ids WHERE file = {{ lit(output_file) }})
ORDER BY {{ order_by }}
{%- endmacro %}
