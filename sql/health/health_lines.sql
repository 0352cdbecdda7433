-- `distill-duck health` (SPEC section 11), first step: every physical line of the output
-- files with what is wrong with it, but not the line itself, so the audit streams: the
-- texts never wait in memory for a later step (health_violations numbers the lines and
-- finds repeated ids over these narrow rows).
--
-- Files the runner found clean (valid UTF-8, no CR, NUL or \x01 byte: everything this
-- tool writes, with lines under 4 MiB) are read line by line by DuckDB's CSV reader with a
-- delimiter they do not hold; anything else is split exactly (physical_lines), which holds the file in memory.
{{ config(command='health') }}
{% from 'macros/paths.sql' import root_relative -%}
{% from 'macros/lines.sql' import physical_lines %}
{% from 'macros/categories.sql' import sft_schema, rag_schema %}
{% from 'safety/secret_patterns.sql' import secret_patterns, secret_regexes as full %}
{% set texts = ['content', 'response', 'chosen', 'rejected'] %}
{% set quarantine_keys = ['id', 'exporter', 'reason', 'errors', 'input', 'source_record',
                          'source_provenance', 'recorded_at'] %}
{% set reasons = ['missing_provenance', 'missing_source_run_id', 'empty_content', 'schema_violation',
    'unsafe_sft_category', 'unsafe_rag_category', 'invalid_preference_pairing', 'hallucinated_file_path',
    'duplicate_id', 'self_pairing', 'category_disallowed',
    'secret_detected', 'duplicate_content', 'near_duplicate', 'benchmark_contamination'] %}
{#- every JSON value the checks read, extracted in one parse of the line (a parse per check
    would hold a copy of every line of a chunk per check): at(path) is its element -#}
{% set paths = ['$.id', '$.exporter', '$.reason', '$.errors', '$.input.file', '$.input.line', '$.source_record', '$.schema_version', '$.provenance.source_file', '$.provenance.sig_hash', '$.provenance.line_offset', '$.quality_score', '$.success_score', '$.title', '$.content', '$.source_run_id', '$.instruction', '$.response', '$.chosen_run_id', '$.rejected_run_id', '$.chosen', '$.rejected', '$.prompt'] %}
{% macro at(path) %}f[{{ paths.index(path) + 1 }}]{% endmacro %}
SELECT file, seq, exact_line, blank, line_problem, json_string(f[1]) AS id,
    -- SPEC 12.6: what a default safety gate would refuse now (dataset rows only): the
    -- secrets each text holds, and the keys the exact-duplicate gate compares
    CASE WHEN is_object AND NOT is_quarantine THEN list_filter([
{%- for field in texts %}
        CASE WHEN regexp_matches(json_string({{ at('$.' ~ field) }}), {{ lit(full | join('|')) }})
            THEN {{ lit(field) }} || ' holds ' || array_to_string(list_filter([
{%- for kind, before, secret, after in secret_patterns %}
                CASE WHEN regexp_matches(json_string({{ at('$.' ~ field) }}), {{ lit(full[loop.index0]) }})
                    THEN {{ lit(kind) }} END{{ ',' if not loop.last }}
{%- endfor %}
            ], lambda k: k IS NOT NULL), ', ') || ' (the secret gate would quarantine this row now)' END{{ ',' if not loop.last }}
{%- endfor %}
    ], lambda m: m IS NOT NULL) END AS secrets,
    CASE WHEN is_object AND NOT is_quarantine THEN list_filter([
        content_key(json_string({{ at('$.content') }}))::VARCHAR,
        content_key(json_string({{ at('$.response') }}))::VARCHAR,
        -- a pair: both texts (one alone when the other is missing)
        CASE WHEN json_string({{ at('$.chosen') }}) IS NOT NULL OR json_string({{ at('$.rejected') }}) IS NOT NULL
            THEN hash(content_key(coalesce(json_string({{ at('$.chosen') }}), json_string({{ at('$.rejected') }}))),
                      content_key(coalesce(json_string({{ at('$.rejected') }}), json_string({{ at('$.chosen') }}))))::VARCHAR END
    ], lambda k: k IS NOT NULL) END AS content_keys,
    CASE
        WHEN NOT is_object THEN []
        -- quarantine rows: well-formed, with a reason from the taxonomy
        WHEN is_quarantine THEN list_filter([
        CASE WHEN keys <> {{ lit(quarantine_keys) }}
            THEN 'keys are ' || array_to_string(keys, ',') || ', expected ' || {{ lit(quarantine_keys | join(',')) }} END,
        CASE WHEN NOT regexp_full_match(coalesce(id, ''), 'q-[0-9a-f]{16}')
            THEN 'id ' || coalesce(id, 'missing') || ' is not q- + 16 hex' END,
        CASE WHEN CASE json_string({{ at('$.exporter') }})
                {%- for e in exporters.values() %} WHEN {{ lit(e.name) }} THEN {{ lit(e.quarantine) }}{% endfor %}
                END IS DISTINCT FROM file
            THEN 'exporter does not match the file' END,
        CASE WHEN NOT coalesce(list_contains({{ lit(reasons) }}, json_string({{ at('$.reason') }})), false)
            THEN 'reason is not one of the 15 quarantine reasons' END,
        CASE WHEN coalesce(len(json_strings({{ at('$.errors') }})), 0) = 0
            THEN 'errors must be a non-empty array of strings' END,
        CASE WHEN json_string({{ at('$.input.file') }}) IS NULL
                OR coalesce(json_int64({{ at('$.input.line') }}) < 0, true)
            THEN 'input must be {file, line}' END,
        CASE WHEN coalesce(json_type({{ at('$.source_record') }}), '') <> 'OBJECT'
            THEN 'source_record must be an object' END
    ], lambda m: m IS NOT NULL)
        -- dataset rows: schema, validation rules and the firewall
        ELSE list_filter([
        CASE {% for e in exporters.values() %}WHEN file = {{ lit(e.dataset) }} AND keys <> {{ lit(e.row_keys | list) }}
            THEN 'keys are ' || array_to_string(keys, ',') || ', expected ' || {{ lit(e.row_keys | join(',')) }}
            {% endfor %} END,
        CASE WHEN coalesce({{ at('$.schema_version') }}::VARCHAR, '') <> '1' THEN 'schema_version is not 1' END,
        CASE {% for e in exporters.values() %}WHEN file = {{ lit(e.dataset) }}
            AND NOT regexp_full_match(coalesce(id, ''), {{ lit(e.id_prefix ~ '[0-9a-f]{16}') }})
            THEN 'id ' || coalesce(id, 'missing') || ' is not ' || {{ lit(e.id_prefix) }} || ' + 16 hex'
            {% endfor %} END,
        CASE WHEN NOT has_content(json_string({{ at('$.provenance.source_file') }}))
            THEN 'provenance.source_file is empty' END,
        CASE WHEN NOT has_content(json_string({{ at('$.provenance.sig_hash') }}))
            THEN 'provenance.sig_hash is empty' END,
        CASE WHEN coalesce(json_int64({{ at('$.provenance.line_offset') }}) < 0, true)
            THEN 'provenance.line_offset is not an integer >= 0' END,
        -- the firewall, checked on what is on disk
        CASE WHEN file = {{ lit(exporters.sft.dataset) }} AND NOT coalesce(list_contains(
                {{ lit(sft_schema) }}, json_string({{ at('$.quality_score') }})), false)
            THEN 'FIREWALL: quality_score ' || coalesce({{ at('$.quality_score') }}::VARCHAR, 'missing')
                || ' is forbidden in SFT' END,
        CASE WHEN file = {{ lit(exporters.rag.dataset) }} AND NOT coalesce(list_contains(
                {{ lit(rag_schema) }},
                json_string({{ at('$.success_score') }})), false)
            THEN 'FIREWALL: success_score ' || coalesce({{ at('$.success_score') }}::VARCHAR, 'missing')
                || ' is not allowed in RAG' END,
        CASE WHEN file = {{ lit(exporters.rag.dataset) }} AND (
                NOT has_content(json_string({{ at('$.title') }}))
                OR NOT has_content(json_string({{ at('$.content') }}))
                OR NOT has_content(json_string({{ at('$.source_run_id') }})))
            THEN 'title, content and source_run_id must be non-empty' END,
        CASE WHEN file = {{ lit(exporters.sft.dataset) }} AND (
                NOT has_content(json_string({{ at('$.instruction') }}))
                OR NOT has_content(json_string({{ at('$.response') }}))
                OR NOT has_content(json_string({{ at('$.source_run_id') }})))
            THEN 'instruction, response and source_run_id must be non-empty' END,
        CASE WHEN file = {{ lit(exporters.preference.dataset) }}
                AND json_string({{ at('$.chosen_run_id') }})
                    = json_string({{ at('$.rejected_run_id') }})
            THEN 'pairs run ' || json_string({{ at('$.chosen_run_id') }}) || ' with itself' END,
        CASE WHEN file = {{ lit(exporters.preference.dataset) }}
                AND js_trim(json_string({{ at('$.chosen') }}))
                    = js_trim(json_string({{ at('$.rejected') }}))
            THEN 'chosen and rejected texts are identical' END,
        CASE WHEN file = {{ lit(exporters.preference.dataset) }} AND (
                NOT has_content(json_string({{ at('$.prompt') }}))
                OR NOT has_content(json_string({{ at('$.chosen') }}))
                OR NOT has_content(json_string({{ at('$.rejected') }}))
                OR NOT has_content(json_string({{ at('$.reason') }})))
            THEN 'prompt, chosen, rejected and reason must be non-empty' END
    ], lambda m: m IS NOT NULL)
    END AS messages
FROM (
    -- the text stops here: the checks read only what is extracted from it. The JSON
    -- functions see only objects (NULL otherwise): DuckDB may evaluate an expression on
    -- rows a CASE branch does not select
    SELECT * EXCLUDE (body),
        json_keys(CASE WHEN is_object THEN body END) AS keys,
        json_extract(CASE WHEN is_object THEN body END, {{ lit(paths) }}) AS f,
        list_contains({{ lit(exporters.quarantine_files) }}, file) AS is_quarantine,
        coalesce(body = '', false) AS blank
    FROM (
        SELECT *, line_problem IS NULL AND body <> '' AS is_object
        FROM (
            SELECT *,
                CASE
                    WHEN body IS NULL THEN 'not valid UTF-8'
                    WHEN body = '' THEN NULL
                    WHEN NOT strict_json_valid(body) THEN 'not JSON'
                    WHEN json_type(body) <> 'OBJECT' THEN 'not a JSON object'
                END AS line_problem
            FROM (
                SELECT {{ root_relative('filename') }} AS file,
                    -- a streaming window: numbers rows in scan order (one reader, files in
                    -- list order); health_violations turns it into line numbers per file
                    row_number() OVER () AS seq, NULL::BIGINT AS exact_line, coalesce(body, '') AS body
                FROM read_csv(getvariable('health_streamed_paths'), columns = {'body': 'VARCHAR'},
                    delim = '\x01', quote = '', escape = '', header = false, auto_detect = false,
                    new_line = '\n', filename = true, parallel = false,
                    -- a small buffer (a larger max_line_size makes it read whole files)
                    max_line_size = 8388608, buffer_size = 16777216)
                UNION ALL
                SELECT file, NULL, line, body
                FROM {{ physical_lines('health_exact_paths') }} AS p
            )
        )
    )
)
