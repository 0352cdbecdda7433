-- Lines that are not records (SPEC section 7): not valid UTF-8, not JSON, not an object,
-- and evidence without a non-empty string run_id. Recorded, never fatal.
SELECT 'evidence' AS kind, file, line, error, excerpt
FROM evidence_lines
WHERE NOT is_object
UNION ALL
SELECT 'evidence' AS kind, r.file, r.line, 'evidence without a non-empty string run_id' AS error,
    left(l.body, 200) AS excerpt
FROM evidence_records AS r
JOIN evidence_lines AS l USING (file, line)
WHERE r.run_id IS NULL OR r.run_id = ''
UNION ALL
SELECT 'scored' AS kind, file, line, error, excerpt
FROM scored_lines
WHERE NOT is_object
