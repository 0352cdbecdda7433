-- SPEC 12.4 and 12.5: the rows already in the dataset files count as earlier than every
-- record of this run. Their texts (RAG content, SFT response, preference chosen and
-- rejected) fingerprinted like this run's. Only when this run has texts to compare with
-- them (a re-run with nothing new fingerprints nothing). Rows whose text an earlier run
-- fingerprinted (the texts it exported) come from the memo, so a night's run fingerprints
-- only what is new.
{% from 'macros/paths.sql' import root_relative -%}
{% from 'macros/output_rows.sql' import output_rows %}
{% from 'macros/fingerprints.sql' import fingerprints %}
{% set rows %}
(
    SELECT {{ root_relative('filename') }} AS file, id,
        CASE WHEN content IS NOT NULL THEN content ELSE response END AS text, chosen, rejected
    FROM {{ output_rows('output_paths',
        {'id': 'VARCHAR', 'content': 'VARCHAR', 'response': 'VARCHAR', 'chosen': 'VARCHAR', 'rejected': 'VARCHAR'},
        filename=true) }}
)
{% endset %}
{% set memo = 'fingerprint_memo' %}
{{ config(memo=memo) }}
WITH judged AS (
    SELECT EXISTS (SELECT 1 FROM text_fingerprints) AS some_text
),
texts AS (
    SELECT file, id, text, false AS keep_shingles FROM {{ rows }}
    WHERE text IS NOT NULL AND list_contains({{ lit(exporters.dataset_files) }}, file) AND (SELECT some_text FROM judged)
)
SELECT f.* EXCLUDE (shingle_set), NULL::HUGEINT AS chosen_key, NULL::HUGEINT AS rejected_key
FROM ({{ fingerprints('texts', ['file', 'id'], memo=memo) }}) AS f
UNION ALL
SELECT file, id, NULL, NULL, NULL, NULL, content_key(chosen), content_key(rejected)
FROM {{ rows }}
WHERE chosen IS NOT NULL AND rejected IS NOT NULL AND list_contains({{ lit(exporters.dataset_files) }}, file)
    AND (SELECT some_text FROM judged)
