{% from 'macros/output_rows.sql' import output_rows %}
{#- DuckDB cannot size read_json's rows: left to itself it hashes the wide quarantine rows for
    the join below (out of memory at 1M runs) instead of the narrow dataset_at -#}
{{ config(materialized='publish', settings={'disabled_optimizers': 'build_side_probe_side'},
    comment='One row per line of the quarantine files ' ~ exporters.quarantine_files | join(', ') ~ ' (all runs): every refused input with its structured reason. still_open tells the open quarantine (the record at input_file:input_line has no row in the dataset) from rows fixed since.',
    columns={
        'output_file': 'the quarantine file the row is in',
        'id': 'q- id: sha256 of exporter|reason|file|line|extra, first 16 hex characters',
        'exporter': 'rag, sft or preference',
        'reason': 'why the input was refused: one of the quarantine reasons of docs/reasons.md',
        'errors': 'human-readable errors',
        'errors_json': 'errors as a JSON array in text, for tools that cannot read list columns',
        'input_file': 'the scored partition file of the refused record (chosen record for pairs)',
        'input_line': '0-based physical line of the refused record in input_file (the first line is 0)',
        'source_record': 'the record as read, {"_raw": ...} for lines that are not objects, or the built row',
        'source_provenance': 'the scored record provenance object, or NULL',
        'recorded_at': 'recorded_at of the run that quarantined it, as a timestamp with time zone',
        'recorded_at_text': 'recorded_at exactly as written in the file',
        'exported_as': 'id of the dataset row the record at input_file:input_line has now (fixed and exported since, or for duplicate_id the row it repeats); NULL while none',
        'still_open': 'true while the record at input_file:input_line has no row in the dataset: the open quarantine',
    }) }}
-- A quarantine file keeps every row it was given (append-only), so a row outlives the fix
-- of its input line; exported_as/still_open say whether that line's record is in the
-- dataset now (matched by file and line, as the inputs are now).
WITH rows AS (
    SELECT
        -- by the file's path ending: a run reads its new lines from a staged copy (at the same
        -- relative path) before appending them
        CASE {% for q in exporters.quarantine_files %}WHEN ends_with(filename, {{ lit('/' ~ q) }}) THEN {{ lit(q) }} {% endfor %}END
            AS output_file,
        id, exporter, reason, errors,
        to_json(errors)::VARCHAR AS errors_json,
        input.file AS input_file,
        input.line AS input_line,
        source_record,
        CASE WHEN json_type(source_provenance) = 'OBJECT' THEN source_provenance END AS source_provenance,
        try_cast(recorded_at AS TIMESTAMPTZ) AS recorded_at,
        recorded_at AS recorded_at_text
    FROM {{ output_rows('quarantine_output_paths', "{
            'id': 'VARCHAR',
            'exporter': 'VARCHAR',
            'reason': 'VARCHAR',
            'errors': 'VARCHAR[]',
            'input': 'STRUCT(file VARCHAR, line BIGINT)',
            'source_record': 'JSON',
            'source_provenance': 'JSON',
            'recorded_at': 'VARCHAR'
        }", filename=true) }}
),
-- the dataset id each current record would have (SPEC 3 ids), where it has one
current_ids AS (
    SELECT file, line, evidence_run_id,
        record_id('rag-', evidence_run_id, provenance_sig_hash) AS rag_id,
        record_id('sft-', evidence_run_id, provenance_sig_hash) AS sft_id
    FROM scored_runs
),
paired AS (
    SELECT run_id, min(id) AS id
    FROM (SELECT chosen_run_id AS run_id, id FROM preference_pairs
          UNION ALL SELECT rejected_run_id, id FROM preference_pairs)
    GROUP BY run_id
),
-- where each record in a dataset now sits (input file and line) and its dataset id: only
-- exported records, so the join below keeps these narrow rows in its hash table, never
-- the quarantine rows (a join of two sides of one size let DuckDB hash the wide one)
dataset_at AS (
    SELECT c.file, c.line, 'rag' AS exporter, c.rag_id AS exported_as
    FROM current_ids AS c SEMI JOIN rag_samples AS d ON d.id = c.rag_id
    UNION ALL
    SELECT c.file, c.line, 'sft', c.sft_id
    FROM current_ids AS c SEMI JOIN sft_samples AS d ON d.id = c.sft_id
    UNION ALL
    SELECT c.file, c.line, 'preference', p.id
    FROM current_ids AS c JOIN paired AS p ON p.run_id = c.evidence_run_id
)
SELECT r.*, d.exported_as, d.exported_as IS NULL AS still_open
FROM rows AS r
LEFT JOIN dataset_at AS d ON d.file = r.input_file AND d.line = r.input_line AND d.exporter = r.exporter
