-- repo_manifest
SELECT DISTINCT REGEXP_REPLACE(REGEXP_REPLACE(line, '\\r$', ''), '^\\./', '') AS path FROM (SELECT EXPLODE(SPLIT(DECODE(content, 'utf-8'), CONCAT('\\Q', '\n', '\\E'))) AS line FROM blob__manifest_paths) WHERE TRIM(line) <> ''
