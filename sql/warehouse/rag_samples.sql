{% from 'macros/output_rows.sql' import output_rows %}
{{ config(publish=true,
    comment='One row per line of exports/rag/playbooks.jsonl (all runs, not only the last): the RAG corpus.',
    columns={
        'output_line': '0-based line of the row in exports/rag/playbooks.jsonl',
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
    output_line,
    json_string(f[1]) AS id,
    json_string(f[2]) AS title,
    json_string(f[3]) AS content,
    json_strings(f[4]) AS tags,
    json_string(f[5]) AS source_run_id,
    json_string(f[6]) AS success_score,
    json_string(f[7]) AS source_category,
    json_string(f[8]) AS embedding_text,
    json_string(f[9]) AS created_at,
    json_string(f[10]) AS provenance_source_file,
    json_int64(f[11]) AS provenance_line_offset,
    json_string(f[12]) AS provenance_sig_hash,
    json_string(f[13]) AS provenance_recorded_at
FROM (
    SELECT output_line, json_extract(body, ['$.id', '$.title', '$.content', '$.tags', '$.source_run_id',
        '$.success_score', '$.source_category', '$.embedding_text', '$.created_at',
        '$.provenance.source_file', '$.provenance.line_offset', '$.provenance.sig_hash',
        '$.provenance.recorded_at']) AS f
    FROM {{ output_rows('rag_output_paths') }}
)
ORDER BY output_line
