-- SPEC 12.4 and 12.5: what the duplicate gates compare, for every evidence text a record
-- may export: its content key (exact duplicates) and its MinHash LSH band keys (near
-- duplicate candidates). With --redact-secrets the redacted text is compared.
{% from 'macros/fingerprints.sql' import fingerprints %}
{{ fingerprints("(SELECT e.partition, e.run_id, "
    ~ ("coalesce(s.redacted, e.text)" if redact_secrets else "e.text")
    ~ " AS text FROM evidence AS e"
    ~ (" LEFT JOIN text_secrets AS s USING (partition, run_id)" if redact_secrets else "")
    ~ " WHERE e.text IS NOT NULL)", ['partition', 'run_id']) }}
