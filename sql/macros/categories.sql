{#-
  The scored categories each exporter may export, declared once (SPEC 4 and 5); import
  them `with context` (the opt-in flags decide):
      rag_allowed   RAG: accepted, partially_accepted; needs_human_review with --include-review
      sft_allowed   SFT: accepted; partially_accepted with --include-partial
      sft_never     SFT's firewall (gate 2): never these, whatever the flags say (its
                    `never` in exporters.toml, which the run checks and health hold it to)
      sft_schema    what the SFT row schema accepts as quality_score, whatever the flags
                    (its own firewall: validation and health check it)
      rag_schema    what a RAG row may hold as success_score under any flags (health)
  `rejected` is in none of them: it never reaches RAG or SFT.
-#}
{% set rag_allowed = ['accepted', 'partially_accepted'] + (['needs_human_review'] if include_review | default(false) else []) %}
{% set sft_allowed = ['accepted'] + (['partially_accepted'] if include_partial | default(false) else []) %}
{% set sft_never = exporters.sft.never | list %}
{% set sft_schema = ['accepted', 'partially_accepted'] %}
{% set rag_schema = ['accepted', 'partially_accepted', 'needs_human_review'] %}
