-- SPEC 12.4 and 12.5: the rows already in the dataset files count as earlier than every
-- record of this run. Their texts (RAG content, SFT response, preference chosen and
-- rejected) fingerprinted like this run's. Kept in the input cache per output file, as
-- existing_ids is: the run that appends rows adds their fingerprints (their texts are in
-- the memo by then), so a night's run reads no row it wrote. A file read whole (one an
-- older release wrote, or edited since) takes the texts an earlier run fingerprinted from
-- the memo.
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
{{ config(materialized='incremental', files='output_paths', appended=true) }}
WITH texts AS (
    SELECT file, id, text FROM {{ rows }}
    WHERE text IS NOT NULL AND list_contains({{ lit(exporters.dataset_files) }}, file)
)
SELECT f.*, NULL::HUGEINT AS chosen_key, NULL::HUGEINT AS rejected_key
FROM ({{ fingerprints('texts', ['file', 'id'], memo='fingerprint_memo') }}) AS f
UNION ALL
SELECT file, id, NULL, NULL, NULL, NULL, content_key(chosen), content_key(rejected)
FROM {{ rows }}
WHERE chosen IS NOT NULL AND rejected IS NOT NULL AND list_contains({{ lit(exporters.dataset_files) }}, file)
