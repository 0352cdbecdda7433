-- Every non-blank physical line of the scored partitions, with what it is: a JSON object,
-- or why it is not one. Blank and whitespace-only lines are not records (SPEC section 1).
-- A view: its one reader, scored_records, keeps what is needed.
{{ config(materialized='view') }}
{% from 'macros/lines.sql' import physical_lines %}
{% from 'macros/classify.sql' import classify_lines %}
{{ classify_lines(physical_lines('scored_paths'), 'scored-run') }}
