{% from 'macros/output_rows.sql' import output_rows %}
{{ config(materialized='publish',
    comment='One row per line of ' ~ exporters.rag.dataset ~ ' (all runs, not only the last): the RAG corpus.',
    columns={
        'id': 'rag- id: sha256 of evidence_run_id|sig_hash, first 16 hex characters',
        'title': 'first non-blank line of the text, up to 120 characters',
        'content': 'the evidence text, unchanged',
        'tags': 'task:, category:, role:, model:, file: tags',
        'tags_json': 'tags as a JSON array in text, for tools that cannot read list columns',
        'source_run_id': 'the evidence run id (joins evidence.run_id)',
        'success_score': 'the scored category (accepted, partially_accepted, or needs_human_review when opted in)',
        'source_category': 'the scored category',
        'embedding_text': 'first 2000 characters of the text',
        'created_at': 'recorded_at of the run that exported the row, as a timestamp with time zone',
        'created_at_text': 'created_at exactly as written in the file (SPEC: recorded_at is written as given)',
        'provenance_source_file': 'provenance.source_file of the scored record',
        'provenance_line_offset': 'provenance.line_offset of the scored record',
        'provenance_sig_hash': 'provenance.sig_hash of the scored record',
        'provenance_recorded_at': 'provenance.recorded_at (the run that exported the row), as a timestamp',
        'provenance_recorded_at_text': 'provenance.recorded_at exactly as written in the file',
    }) }}
SELECT
    id, title, content, tags, to_json(tags)::VARCHAR AS tags_json, source_run_id, success_score,
    source_category, embedding_text,
    try_cast(created_at AS TIMESTAMPTZ) AS created_at, created_at AS created_at_text,
    provenance.source_file AS provenance_source_file,
    provenance.line_offset AS provenance_line_offset,
    provenance.sig_hash AS provenance_sig_hash,
    try_cast(provenance.recorded_at AS TIMESTAMPTZ) AS provenance_recorded_at,
    provenance.recorded_at AS provenance_recorded_at_text
FROM {{ output_rows('rag_output_paths', {
        'id': 'VARCHAR',
        'title': 'VARCHAR',
        'content': 'VARCHAR',
        'tags': 'VARCHAR[]',
        'source_run_id': 'VARCHAR',
        'success_score': 'VARCHAR',
        'source_category': 'VARCHAR',
        'embedding_text': 'VARCHAR',
        'created_at': 'VARCHAR',
        'provenance': {'source_file': 'VARCHAR', 'line_offset': 'BIGINT', 'sig_hash': 'VARCHAR',
                       'recorded_at': 'VARCHAR'}
    }) }}
