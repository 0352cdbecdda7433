-- `distill-duck report`: exported rows per dataset and source class (the stem of the
-- scored record's provenance.source_file).
SELECT series, label, count(*) AS value
FROM (
    SELECT 'rag' AS series, provenance_source_file AS source FROM rag_samples
    UNION ALL
    SELECT 'sft', provenance_source_file FROM sft_samples
    UNION ALL
    SELECT 'preference', provenance_source_file FROM preference_pairs
) AS rows,
LATERAL (SELECT regexp_replace(regexp_replace(coalesce(source, '(none)'), '^data/_kb/', ''), '\.jsonl$', '')
         AS label)
GROUP BY ALL
ORDER BY series, value DESC, label
