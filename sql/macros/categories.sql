{#-
  The scored categories each exporter may export, declared once (SPEC 4 and 5); import
  them `with context` (the opt-in flags decide):
      rag_allowed   RAG: accepted, partially_accepted; needs_human_review with --include-review
      sft_allowed   SFT: accepted; partially_accepted with --include-partial
      sft_never     SFT's firewall (gate 2): never these, whatever the flags say
  `rejected` is in none of them: it never reaches RAG or SFT.
-#}
{% set rag_allowed = ['accepted', 'partially_accepted'] + (['needs_human_review'] if include_review | default(false) else []) %}
{% set sft_allowed = ['accepted'] + (['partially_accepted'] if include_partial | default(false) else []) %}
{% set sft_never = ['rejected', 'needs_human_review'] %}
