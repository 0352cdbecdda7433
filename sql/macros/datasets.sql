{#-
  Jinja macros of the training datasets (SPEC section 13).

  A task's split is a pure function of its task id and the two fractions: u = the first 13
  hex digits of sha256(task id) as an integer over 16^13 (uniform in [0, 1), exact in a
  double); u < eval_fraction is `validation`, u >= 1 - test_fraction is `test`, the rest
  `train`. Nothing else (row order, other tasks, the day a row arrived) enters it, so a
  task never moves as rows arrive, and raising one fraction takes tasks only from train.
  The fractions are run options of `distill-duck dataset`; the defaults here only serve
  other commands that render every model (`distill-duck run`, `compile`).
-#}
{% macro task_unit(task_id) -%}
(CAST(hex_number(left(sha256({{ task_id }}), 13)) AS DOUBLE) / 4503599627370496.0)
{%- endmacro %}

{% macro task_split(task_id) -%}
CASE
        WHEN {{ task_unit(task_id) }} < {{ lit(eval_fraction | default(0.05)) }} THEN 'validation'
        WHEN {{ task_unit(task_id) }} >= 1 - {{ lit(test_fraction | default(0.0)) }} THEN 'test'
        ELSE 'train'
    END
{%- endmacro %}

{#- The user turn of an SFT example: the instruction, then the context as its own paragraph. -#}
{% macro user_content(instruction, context) -%}
CASE WHEN coalesce({{ context }}, '') <> '' THEN {{ instruction }} || chr(10) || chr(10) || {{ context }}
        ELSE {{ instruction }} END
{%- endmacro %}

{#- A one-message conversation turn, as TRL and the OpenAI-style layout spell it. -#}
{% macro turns(role, content) -%}
[{'role': {{ lit(role) }}, 'content': {{ content }}}]
{%- endmacro %}
