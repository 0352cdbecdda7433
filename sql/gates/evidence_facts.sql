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
    first_content_line(text) AS first_content_line
FROM evidence
