-- `distill-duck report`: exported rows per dataset and source class (the stem of the
-- scored record's provenance.source_file).
SELECT series, label, count(*) AS value
FROM (
{%- for e in exporters.values() if e.samples %}
    SELECT {{ lit(e.name) }} AS series, provenance_source_file AS source FROM {{ ident(e.samples) }}
    {{- '\n    UNION ALL' if not loop.last }}
{%- endfor %}
) AS rows,
LATERAL (SELECT regexp_replace(regexp_replace(coalesce(source, '(none)'), '^data/_kb/', ''), '\.jsonl$', '')
         AS label)
GROUP BY ALL
ORDER BY series, value DESC, label
