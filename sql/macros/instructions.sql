{#-
  Jinja macros: the SFT instruction and context of SPEC section 5, as SQL expressions over
  the evidence's fields. sft_decisions builds SFT rows with them; the training datasets
  rebuild a preference pair's prompt from the chosen run's evidence with the same text.
-#}

{#- The template key: the evidence's provenance.source_file without data/_kb/ and .jsonl. -#}
{% macro sft_stem(source_file) -%}
regexp_replace(regexp_replace(coalesce({{ source_file }}, ''), '^data/_kb/', ''), '\.jsonl$', '')
{%- endmacro %}

{#- SPEC 5 step 8: an instruction -> response shape (role and a text with content). -#}
{% macro sft_has_shape(model_role, text_has_content) -%}
list_contains(['executor', 'reviewer', 'applier'], {{ model_role }}) AND {{ text_has_content }}
{%- endmacro %}

{#- The instruction for a template key, source_files[0] (or '') and the evidence task id. -#}
{% macro sft_instruction(stem, first_file, task_id, contractor) -%}
CASE {{ stem }}
            WHEN 'scrum_reviews' THEN 'Review the file ''' || {{ first_file }}
                || ''' against the PRD + change-proposal context. Produce a forensic audit with findings, severity, confidence, patches.'
            WHEN 'mode_experiments' THEN 'Run task_class=''' || {{ task_id }} || ''' for file ''' || {{ first_file }}
                || '''. Produce the mode-runner''s expected output shape.'
            WHEN 'auto_apply' THEN 'Auto-apply: emit a 6-line surgical patch for ''' || {{ first_file }}
                || ''' based on the latest scrum review findings.'
            WHEN 'audits' THEN 'Audit phase ''' || regexp_replace({{ task_id }}, '^phase:', '')
                || ''' and report findings with severity.'
            WHEN 'observer_reviews' THEN 'Observer-review the latest attempt on ''' || {{ first_file }}
                || '''. Verdict: accept | reject | cycle.'
            WHEN 'contract_analyses' THEN
                CASE WHEN coalesce({{ contractor }}, '') <> ''
                    THEN 'Analyze contractor ''' || {{ contractor }} || ''' for permit '''
                        || regexp_replace({{ task_id }}, '^permit:', '') || '''. Recommend with risk markers.'
                    ELSE 'Analyze permit ''' || regexp_replace({{ task_id }}, '^permit:', '')
                        || '''. Recommend with risk markers.' END
            WHEN 'outcomes' THEN 'Run scenario; report per-event outcome with citations.'
            ELSE 'Source ''' || {{ stem }} || ''' run; produce the appropriate output for this task type.'
        END
{%- endmacro %}

{#- The context: matrix=, pathway_fingerprints=, model= parts joined by " · ", or ''. -#}
{% macro sft_context(matrix_corpora, pathway_fingerprints_seen, model_name) -%}
concat_ws(' · ',
            CASE WHEN len({{ matrix_corpora }}) > 0 THEN 'matrix=' || array_to_string({{ matrix_corpora }}, ',') END,
            CASE WHEN {{ pathway_fingerprints_seen }} IS NOT NULL
                THEN 'pathway_fingerprints=' || CAST({{ pathway_fingerprints_seen }} AS VARCHAR) END,
            CASE WHEN {{ model_name }} <> '' THEN 'model=' || {{ model_name }} END)
{%- endmacro %}
