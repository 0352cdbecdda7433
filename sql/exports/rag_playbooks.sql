-- New lines for exports/rag/playbooks.jsonl, in input order.
{{ config(export='exports/rag/playbooks.jsonl') }}
SELECT row_json AS jsonl
FROM rag_decisions
WHERE outcome = 'exported'
ORDER BY file, line
