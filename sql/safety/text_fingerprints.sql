-- SPEC 12.4 and 12.5: what the duplicate gates compare, for every evidence text this run
-- could export: its content key (exact duplicates) and its MinHash LSH band keys (near
-- duplicate candidates). With --redact-secrets the redacted text is compared.
--
-- Only texts the gates can reach are fingerprinted (gate_texts): those of records in a
-- category some exporter may export, and both texts of every preference candidate, unless
-- their rows are already in the dataset files (a re-run judges nothing again). Most of a
-- lakehouse is neither. A text an earlier run fingerprinted comes from the memo
-- (fingerprint_memo); the new ones are added to it.
{% from 'macros/fingerprints.sql' import fingerprints %}
{% set source %}
(
    SELECT e.partition, e.run_id, {{ 'coalesce(s.redacted, e.text)' if redact_secrets else 'e.text' }} AS text
    FROM evidence AS e
{%- if redact_secrets %}
    LEFT JOIN text_secrets AS s USING (partition, run_id)
{%- endif %}
    JOIN gate_texts AS g USING (partition, run_id)
    WHERE e.text IS NOT NULL
)
{% endset %}
{% set memo = 'fingerprint_memo' %}
{{ config(memo=memo) }}
SELECT * FROM ({{ fingerprints(source, ['partition', 'run_id'], memo=memo) }})
