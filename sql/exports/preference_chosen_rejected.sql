-- New lines for exports/preference/chosen_rejected.jsonl: groups by first appearance,
-- candidates in nested-loop order.
{{ config(materialized='export', export=exporters.preference.dataset) }}
SELECT row_json AS jsonl
FROM preference_decisions
WHERE outcome = 'exported'
ORDER BY group_first, slot
