{{ config(publish=true,
    comment='One row per file under data/ that is not a partition file (SPEC section 1): not read, listed so that a misplaced partition is noticed. Partition files are data/scored-runs/YYYY/MM/DD/<stem>.jsonl and data/evidence/YYYY/MM/DD/<stem>.jsonl.',
    columns={
        'file': 'the file, relative to the root',
        'why': 'why it is not a partition file: the rule it breaks',
    }) }}
-- The list is found by walking data/ (the runner binds it); the reasons are the rules of
-- discovery, checked in this order.
SELECT file,
    CASE
        WHEN NOT (starts_with(file, 'data/scored-runs/') OR starts_with(file, 'data/evidence/'))
            THEN 'not under data/scored-runs/ or data/evidence/'
        WHEN NOT ends_with(file, '.jsonl') THEN 'name does not end in .jsonl'
        WHEN len(string_split(file, '/')) <> 6
            THEN 'not exactly three folders below ' || array_to_string(string_split(file, '/')[1:2], '/') || '/'
        ELSE 'not a regular file'
    END AS why
FROM (SELECT unnest(getvariable('ignored_paths')::VARCHAR[]) AS file)
