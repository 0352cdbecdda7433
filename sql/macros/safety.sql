{#-
  Jinja macros: the per-record safety gates of SPEC 12 (secrets, file paths, benchmark
  contamination), shared by the RAG and SFT decisions. The duplicate gates, which compare
  records with each other, are in duplicates.sql.

  safety_facts(rel): `rel` (one row per record, with partition and evidence_run_id) with
      secret_errors      SPEC 12.1 matches as "kind at character N" (NULL: none, or redacting)
      redacted           the text has secrets replaced (--redact-secrets)
      redacted_title     the RAG title line of the redacted text
      missing_paths      SPEC 12.2 source_files not in the manifest (NULL: none)
      contamination      SPEC 12.3 the first shared n-gram (NULL: none)
  safety_refusals(): CASE branches for the first failing gate, in SPEC 12 order, each
      giving {reason, errors}.
-#}
{% macro safety_facts(rel, passed) -%}
(
    SELECT r.*,
        {{ 'CASE WHEN ' ~ passed ~ ' THEN s.errors END' if gates.secret_detected and not redact_secrets else 'NULL::VARCHAR[]' }} AS secret_errors,
        {{ 'CASE WHEN ' ~ passed ~ ' THEN s.redacted IS NOT NULL ELSE false END' if redact_secrets else 'false' }} AS redacted,
        {{ 'CASE WHEN ' ~ passed ~ ' THEN s.redacted_title END' if redact_secrets else 'NULL::VARCHAR' }} AS redacted_title,
        {{ 'CASE WHEN ' ~ passed ~ ' THEN p.missing END' if gates.hallucinated_file_path else 'NULL::VARCHAR[]' }} AS missing_paths,
        {{ 'CASE WHEN ' ~ passed ~ ' THEN x.error END' if gates.benchmark_contamination else 'NULL::VARCHAR' }} AS contamination
    FROM {{ rel }} AS r
{%- if gates.secret_detected %}
    LEFT JOIN text_secrets AS s ON s.partition = r.partition AND s.run_id = r.evidence_run_id
{%- endif %}
{%- if gates.hallucinated_file_path %}
    LEFT JOIN evidence_missing_paths AS p ON p.partition = r.partition AND p.run_id = r.evidence_run_id
{%- endif %}
{%- if gates.benchmark_contamination %}
    LEFT JOIN text_contamination AS x ON x.partition = r.partition AND x.run_id = r.evidence_run_id
{%- endif %}
)
{%- endmacro %}

{% macro safety_refusals() -%}
            -- SPEC 12.1, safety gate 1
            WHEN secret_errors IS NOT NULL THEN {'reason': 'secret_detected', 'errors': secret_errors}
            -- SPEC 12.2, safety gate 2
            WHEN missing_paths IS NOT NULL THEN {'reason': 'hallucinated_file_path', 'errors':
                list_transform(missing_paths, lambda p: 'source file ' || p || ' is not in the repository manifest')}
            -- SPEC 12.3, safety gate 3
            WHEN contamination IS NOT NULL THEN {'reason': 'benchmark_contamination', 'errors': [contamination]}
{%- endmacro %}
