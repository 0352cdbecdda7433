-- Every non-blank physical line of the evidence partitions, with what it is: a JSON object,
-- or why it is not one (SPEC sections 1 and 7). A view: its one reader, evidence_records,
-- keeps what is needed, so each text is stored once.
{{ config(materialized='view') }}
{% from 'macros/lines.sql' import physical_lines %}
{% from 'macros/classify.sql' import classify_lines %}
{{ classify_lines(physical_lines('evidence_paths'), 'evidence') }}
