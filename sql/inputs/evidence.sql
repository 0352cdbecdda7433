-- Usable evidence: records with a non-empty string run_id; when a file repeats a run_id
-- the last line wins (SPEC 2.1).
SELECT *
FROM evidence_records
WHERE run_id IS NOT NULL AND run_id <> ''
QUALIFY row_number() OVER (PARTITION BY file, run_id ORDER BY line DESC) = 1
