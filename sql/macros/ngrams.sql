{#-
  Jinja macro: the hashes of the word n-grams of a word list `w`, in order (one per
  position; empty when w has fewer than n words). The same expression on both sides of the
  contamination join, so equal n-grams hash equally. (Spark's body is
  macros/spark/ngrams.sql.)
-#}
{% macro gram_hashes(w, n) -%}
list_transform(list_zip({% for i in range(n) %}{{ w }}[{{ i + 1 }}:]{{ ', ' if not loop.last }}{% endfor %}, true),
    lambda z: hash(z))
{%- endmacro %}
