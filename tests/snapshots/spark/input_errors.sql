-- input_errors
SELECT 'evidence' AS kind, file, line, error, excerpt FROM evidence_records WHERE NOT error IS NULL UNION ALL SELECT 'scored' AS kind, file, line, error, excerpt FROM scored_records WHERE NOT error IS NULL
