-- SPEC 12.4 and 12.5, kept between runs: the duplicate-gate fingerprints of every text a
-- run computed, by the md5 of the text (a content-addressed memo in the input cache, so a
-- text is fingerprinted once, whichever run, file or row it comes back in). Without an
-- input cache (`distill-duck run`) it is empty and every text is computed.
--
-- The rows below are the fingerprints of no text: they give the memo its columns, and this
-- model's SQL is the fingerprint code itself, so a change to it (or to a macro it calls)
-- starts the memo afresh.
{% from 'macros/fingerprints.sql' import fingerprints %}
{{ config(materialized='memo', key='text_digest') }}
SELECT text_digest, content_key, bands, sig
FROM ({{ fingerprints("(SELECT NULL::VARCHAR AS k, NULL::VARCHAR AS text WHERE false)", ['k']) }})
