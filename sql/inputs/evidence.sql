{{ config(publish=true, materialized='view',
    comment='One row per usable evidence record (a JSON object with a non-empty string run_id; the last line wins when a file repeats a run_id). Wrong JSON types read as NULL.',
    columns={
        'file': 'evidence partition file, relative to the root',
        'line': '0-based physical line in file',
        'partition': 'the path P of data/evidence/P; pairs with data/scored-runs/P',
        'run_id': 'run_id (joins scored_runs.evidence_run_id within the same partition)',
        'task_id': 'task_id, empty string when absent',
        'text': 'the model output text, NULL when absent or not a string',
        'model_role': 'executor, reviewer, applier, extractor, ...; empty when absent',
        'model_name': 'model name, empty when absent',
        'source_files': 'the string elements of source_files',
        'matrix_corpora': 'retrieved_context.matrix_corpora (strings)',
        'pathway_fingerprints_seen': 'retrieved_context.pathway_fingerprints_seen when it is an integer',
        'contractor': 'metadata.contractor',
        'provenance_source_file': 'provenance.source_file (picks the SFT instruction template)',
    }) }}
-- Usable evidence: records with a non-empty string run_id; when a file repeats a run_id
-- the last line wins (SPEC 2.1). A view over evidence_records, so each text is stored once;
-- the winner is found on the narrow keys, and the texts stream through the join.
SELECT r.* EXCLUDE (error, excerpt)
FROM evidence_records AS r
JOIN (
    SELECT file, max(line) AS line
    FROM evidence_records
    WHERE error IS NULL
    GROUP BY file, run_id
) AS winner USING (file, line)
