-- dataset_rag
SELECT 'train' AS split, id, title, content, embedding_text, tags, source_run_id, source_category, created_at_text AS created_at FROM rag_samples
