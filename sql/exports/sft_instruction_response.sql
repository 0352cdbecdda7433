-- New lines for exports/sft/instruction_response.jsonl, in input order.
{% from 'macros/rows.sql' import sft_row, with_text %}
{{ config(materialized='export', export=exporters.sft.dataset) }}
SELECT {{ sft_row('r', 'r.text') }} AS jsonl
FROM {{ with_text('sft_decisions', "outcome = 'exported'") }} AS r
ORDER BY r.file, r.line
