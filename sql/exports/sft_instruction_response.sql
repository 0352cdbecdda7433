-- New lines for exports/sft/instruction_response.jsonl, in input order.
{{ config(export='exports/sft/instruction_response.jsonl') }}
SELECT row_json AS jsonl
FROM sft_decisions
WHERE outcome = 'exported'
ORDER BY file, line
