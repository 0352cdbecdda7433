-- SPEC 12.2: the repository's paths, one per non-blank line of the manifest (--repo-manifest
-- FILE, or the `git ls-files` of --repo DIR, which the runner writes to a scratch file),
-- compared without a leading "./" (and without a trailing CR).
SELECT DISTINCT regexp_replace(regexp_replace(line, '\r$', ''), '^\./', '') AS path
FROM (
    SELECT unnest(string_split(decode(content), chr(10))) AS line
    FROM read_blob(getvariable('manifest_paths'))
)
WHERE trim(line) <> ''
