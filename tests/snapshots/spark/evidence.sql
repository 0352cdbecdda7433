-- evidence
SELECT r.* EXCEPT (error, excerpt) FROM evidence_records AS r JOIN (SELECT file, MAX(line) AS line FROM evidence_records WHERE error IS NULL GROUP BY file, run_id) AS winner USING (file, line)
