{#- Jinja macro: the run summary of one exporter (SPEC section 11) as one row. -#}
{% macro summary(exporter, decisions) -%}
SELECT
    {{ lit(exporter) }} AS exporter,
    CAST(len(getvariable('scored_paths')) AS BIGINT) AS scored_files_read,
    (SELECT count(*) FROM scored_records) AS records_read,
    count(*) FILTER (WHERE outcome = 'exported') AS records_exported,
    count(*) FILTER (WHERE outcome = 'quarantined') AS records_quarantined,
    count(*) FILTER (WHERE outcome = 'skipped_existing') AS skipped_existing,
    -- SPEC 12.1 --redact-secrets: exported rows whose text had a secret replaced
    count(*) FILTER (WHERE outcome = 'exported' AND redacted) AS records_redacted,
    (SELECT coalesce(CAST(json_group_object(reason, n) AS VARCHAR), '{}')
     FROM (SELECT reason, count(*) AS n FROM {{ decisions }}
           WHERE outcome = 'quarantined' GROUP BY reason)) AS quarantine_by_reason,
    (SELECT count(*) FROM input_errors) AS input_errors,
    (SELECT count(*) FROM ignored_files) AS ignored_files,
    {{ lit(exporters[exporter].dataset) }} AS output_path
FROM {{ decisions }}
{%- endmacro %}
