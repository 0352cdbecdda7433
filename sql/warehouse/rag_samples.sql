{% from 'macros/output_rows.sql' import output_rows %}
{{ config(publish=true,
    comment='One row per line of exports/rag/playbooks.jsonl (all runs, not only the last): the RAG corpus.',
    columns={
        'id': 'rag- id: sha256 of evidence_run_id|sig_hash, first 16 hex characters',
        'title': 'first non-blank line of the text, up to 120 characters',
        'content': 'the evidence text, unchanged',
        'tags': 'task:, category:, role:, model:, file: tags',
        'source_run_id': 'the evidence run id (joins evidence.run_id)',
        'success_score': 'the scored category (accepted, partially_accepted, or needs_human_review when opted in)',
        'source_category': 'the scored category',
        'embedding_text': 'first 2000 characters of the text',
        'created_at': 'recorded_at of the run that exported the row',
        'provenance_source_file': 'provenance.source_file of the scored record',
        'provenance_line_offset': 'provenance.line_offset of the scored record',
        'provenance_sig_hash': 'provenance.sig_hash of the scored record',
        'provenance_recorded_at': 'recorded_at of the run that exported the row',
    }) }}
SELECT
    id, title, content, tags, source_run_id, success_score, source_category, embedding_text, created_at,
    provenance.source_file AS provenance_source_file,
    provenance.line_offset AS provenance_line_offset,
    provenance.sig_hash AS provenance_sig_hash,
    provenance.recorded_at AS provenance_recorded_at
FROM {{ output_rows('rag_output_paths', "{
        'id': 'VARCHAR',
        'title': 'VARCHAR',
        'content': 'VARCHAR',
        'tags': 'VARCHAR[]',
        'source_run_id': 'VARCHAR',
        'success_score': 'VARCHAR',
        'source_category': 'VARCHAR',
        'embedding_text': 'VARCHAR',
        'created_at': 'VARCHAR',
        'provenance': 'STRUCT(source_file VARCHAR, line_offset BIGINT, sig_hash VARCHAR, recorded_at VARCHAR)'
    }") }}
