-- SPEC 12.2 (safety gate 2): evidence whose source_files name a path (any string element,
-- without a leading "./") that is not in the repository manifest: the model referred to a
-- file that does not exist. Evidence without source_files passes.
SELECT f.partition, f.run_id, list(f.path ORDER BY f.k) AS missing
FROM (
    SELECT partition, run_id, generate_subscripts(source_files, 1) AS k,
        regexp_replace(unnest(source_files), '^\./', '') AS path
    FROM evidence
) AS f
ANTI JOIN repo_manifest AS m ON m.path = f.path
GROUP BY f.partition, f.run_id
