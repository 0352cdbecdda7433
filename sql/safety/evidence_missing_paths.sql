-- SPEC 12.2 (safety gate 2): evidence whose source_files name a path (any string element,
-- without a leading "./") that is not in the repository manifest: the model referred to a
-- file that does not exist. Evidence without source_files passes.
SELECT f.partition, f.run_id, list(f.path ORDER BY f.k) AS missing
FROM (
    SELECT partition, run_id, p.k AS k, regexp_replace(p.path, '^\./', '') AS path
    FROM (
        -- (each path with its place in the list, which orders `missing`)
        SELECT partition, run_id, unnest(list_transform(source_files, lambda path, k: {'k': k, 'path': path})) AS p
        FROM evidence
    )
) AS f
ANTI JOIN repo_manifest AS m ON m.path = f.path
GROUP BY f.partition, f.run_id
