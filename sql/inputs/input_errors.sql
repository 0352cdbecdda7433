{{ config(publish=true,
    comment='One row per input line that is not a usable record (docs/formats.md, input errors): not valid UTF-8, not JSON, not an object, or evidence without run_id. Never fatal; malformed scored lines are also quarantined by RAG and SFT.',
    columns={
        'kind': 'evidence or scored',
        'file': 'partition file, relative to the root',
        'line': '0-based physical line in file (blank lines count)',
        'error': 'what is wrong with the line',
        'excerpt': 'first 200 characters of the line (invalid bytes shown as U+FFFD)',
    }) }}
-- Lines that are not records (SPEC section 7): not valid UTF-8, not JSON, not an object,
-- and evidence without a non-empty string run_id. Recorded, never fatal.
SELECT 'evidence' AS kind, file, line, error, excerpt
FROM evidence_records
WHERE error IS NOT NULL
UNION ALL
SELECT 'scored' AS kind, file, line, error, excerpt
FROM scored_records
WHERE error IS NOT NULL
