-- The RAG config of the training datasets (SPEC 13): the corpus, every row in `train`.
{{ config(command='dataset', dataset_config='rag') }}
SELECT
    'train' AS split,
    id, title, content, embedding_text, tags, source_run_id, source_category, created_at_text AS created_at
FROM rag_samples
