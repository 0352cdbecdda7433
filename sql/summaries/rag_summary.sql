-- The RAG run summary (SPEC section 11).
{% from 'macros/summary.sql' import summary %}
{{ summary('rag', 'rag_decisions') }}
