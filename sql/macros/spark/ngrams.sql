{#-
  Spark's gram_hashes (see macros/ngrams.sql): Spark has no list_zip that stops at the
  shortest list, so each n-gram is the slice at its position. (The word list is bound once,
  by a one-element lambda: a pasted expression would split the text again per n-gram.)
-#}
{% macro gram_hashes(w, n) -%}
list_transform([{{ w }}], lambda ws: CASE WHEN len(ws) >= {{ lit(n) }}
    THEN list_transform(sequence(1, len(ws) - {{ lit(n - 1) }}), lambda i: hash(ws[i:i + {{ lit(n - 1) }}]))
    ELSE [] END)[1]
{%- endmacro %}
