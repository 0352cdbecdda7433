-- New lines for exports/quarantine/sft.jsonl (SPEC 3.1); rows already there are not repeated.
{% from 'macros/quarantine.sql' import quarantine_lines %}
{{ config(materialized='export', export=exporters.sft.quarantine) }}
{{ quarantine_lines('sft', 'sft_decisions', 'q.file, q.line') }}
