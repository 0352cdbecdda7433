-- New lines for exports/quarantine/rag.jsonl (SPEC 3.1); rows already there are not repeated.
{% from 'macros/quarantine.sql' import quarantine_lines %}
{{ config(materialized='export', export=exporters.rag.quarantine) }}
{{ quarantine_lines('rag', 'rag_decisions', 'q.file, q.line') }}
