-- New lines for exports/quarantine/preference.jsonl (SPEC 3.1). The input is the chosen
-- record; the id also covers the rejected record's location.
{% from 'macros/quarantine.sql' import quarantine_lines %}
{{ config(materialized='export', export=exporters.preference.quarantine) }}
{{ quarantine_lines('preference', 'preference_decisions', 'group_first, slot',
                    extra="rejected_file || '|' || rejected_line") }}
