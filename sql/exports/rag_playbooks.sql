-- New lines for exports/rag/playbooks.jsonl, in input order.
{% from 'macros/rows.sql' import rag_row, with_text %}
{{ config(materialized='export', export=exporters.rag.dataset) }}
SELECT {{ rag_row('r', 'r.text') }} AS jsonl
FROM {{ with_text('rag_decisions', "outcome = 'exported'") }} AS r
ORDER BY r.file, r.line
