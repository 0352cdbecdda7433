{{ config(materialized='view') }}
-- Evidence without its text: what the gates need to know about a text (computed once per
-- evidence record) plus the small fields. The text itself is joined back only where a row
-- is built, so the wide column never goes through the gates' joins and sorts.
SELECT
    partition,
    run_id,
    task_id,
    model_role,
    model_name,
    source_files,
    matrix_corpora,
    pathway_fingerprints_seen,
    contractor,
    provenance_source_file,
    has_content(text) AS text_has_content,
    coalesce(text <> '', false) AS text_nonempty,
    -- RAG title: the first line with a non-whitespace character, untrimmed, 120 characters
    -- (the first line almost always qualifies; only otherwise is the whole text split)
    left(CASE
        WHEN has_content(split_part(text, chr(10), 1)) THEN split_part(text, chr(10), 1)
        ELSE list_filter(string_split(text, chr(10)), lambda l: has_content(l))[1]
    END, 120) AS first_content_line
FROM evidence
