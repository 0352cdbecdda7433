-- The preference exporter's decision for every candidate pair (SPEC 6, building a pair).
-- A candidate that fails still used its slot: the cap was applied before these checks.
{% from 'macros/outcomes.sql' import outcomes, placed %}
{% from 'macros/rows.sql' import row_validation %}
{% from 'macros/safety.sql' import safety_refusals %}
{% from 'macros/duplicates.sql' import maybe_close %}
WITH gated AS (
    SELECT *,
        js_trim(coalesce(chosen_text, '')) AS chosen_trimmed,
        js_trim(coalesce(rejected_text, '')) AS rejected_trimmed
    FROM preference_candidates
),
checked_pairs AS (
    SELECT * EXCLUDE (refused), refused.reason AS before_id_reason, refused.errors AS before_id_errors
    FROM (
    SELECT *,
        -- SPEC 6, building a pair, checks 1-3 (before the id)
        CASE
            -- check 1: two different runs
            WHEN chosen_run_id = rejected_run_id THEN {'reason': 'self_pairing',
                'errors': ['chosen and rejected are the same run ' || chosen_run_id]}
            -- check 2: both trimmed texts non-empty
            WHEN chosen_trimmed = '' OR rejected_trimmed = '' THEN {'reason': 'invalid_preference_pairing',
                'errors': ['chosen or rejected text is empty after trim']}
            -- check 3: the trimmed texts differ
            WHEN chosen_trimmed = rejected_trimmed THEN {'reason': 'invalid_preference_pairing',
                'errors': ['chosen and rejected texts are identical after trim']}
        END AS refused,
        '{"task_id":' || json_str(task_id) || ',"chosen_run_id":' || json_str(chosen_run_id)
            || ',"rejected_run_id":' || json_str(rejected_run_id) || '}' AS source_record,
        provenance AS source_provenance,
        pair_id(chosen_run_id, rejected_run_id, task_id) AS id,
        'Task: ' || task_id || CASE WHEN coalesce(chosen_source_files[1], '') <> ''
            THEN ' · file=' || chosen_source_files[1] ELSE '' END AS prompt,
        concat_ws(' | ',
            'chosen scored ''' || chosen_category || '''',
            'rejected scored ''' || rejected_category || '''',
            CASE WHEN len(chosen_reasons) > 0 THEN 'chosen-rationale: ' || left(chosen_reasons[1], 80) END,
            CASE WHEN len(rejected_reasons) > 0 THEN 'rejected-rationale: ' || left(rejected_reasons[1], 80) END
        ) AS reason_text,
        -- bytes order of the two run ids: DuckDB compares VARCHAR bytewise
        sha256(least(chosen_run_id, rejected_run_id) || '|' || greatest(chosen_run_id, rejected_run_id))
            AS pair_sig_hash
    FROM gated
    )
),
placed AS (
    -- check 4, the id: a pair already in the file is skipped_existing whatever follows, so
    -- nothing after this judges it or builds its row (a night's run judges what is new)
    {{ placed('checked_pairs', exporters.preference.dataset) }}
),
safe AS (
    -- SPEC 12: the safety gates judge both texts of a pair that passed checks 1-4
    SELECT c.*,
{%- if gates.secret_detected and not redact_secrets %}
        CASE WHEN c.judged AND (sc.errors IS NOT NULL OR sr.errors IS NOT NULL) THEN list_concat(
            list_transform(coalesce(sc.errors, []), lambda e: 'chosen text: ' || e),
            list_transform(coalesce(sr.errors, []), lambda e: 'rejected text: ' || e)) END AS secret_errors,
{%- else %}
        NULL::VARCHAR[] AS secret_errors,
{%- endif %}
{%- if redact_secrets %}
        c.judged AND (sc.redacted IS NOT NULL OR sr.redacted IS NOT NULL) AS redacted,
        CASE WHEN sc.redacted IS NOT NULL THEN js_trim(sc.redacted) ELSE c.chosen_trimmed END AS chosen_out,
        CASE WHEN sr.redacted IS NOT NULL THEN js_trim(sr.redacted) ELSE c.rejected_trimmed END AS rejected_out,
{%- else %}
        false AS redacted, c.chosen_trimmed AS chosen_out, c.rejected_trimmed AS rejected_out,
{%- endif %}
{%- if gates.hallucinated_file_path %}
        CASE WHEN c.judged AND (pc.missing IS NOT NULL OR pr.missing IS NOT NULL)
            THEN list_distinct(list_concat(coalesce(pc.missing, []), coalesce(pr.missing, []))) END AS missing_paths,
{%- else %}
        NULL::VARCHAR[] AS missing_paths,
{%- endif %}
{%- if gates.benchmark_contamination %}
        CASE WHEN c.judged THEN coalesce('chosen text ' || xc.error, 'rejected text ' || xr.error) END
            AS contamination,
{%- else %}
        NULL::VARCHAR AS contamination,
{%- endif %}
{%- if gates.duplicate_content or gates.near_duplicate %}
        -- each text's fingerprint, computed once however many pairs it is in
        fc.content_key AS chosen_key, fr.content_key AS rejected_key,
        fc.sig AS chosen_sig, fr.sig AS rejected_sig
{%- else %}
        NULL::HUGEINT AS chosen_key, NULL::HUGEINT AS rejected_key,
        NULL::UBIGINT[] AS chosen_sig, NULL::UBIGINT[] AS rejected_sig
{%- endif %}
    FROM placed AS c
{%- if gates.duplicate_content or gates.near_duplicate %}
    LEFT JOIN text_fingerprints AS fc ON fc.partition = c.chosen_partition AND fc.run_id = c.chosen_run_id
    LEFT JOIN text_fingerprints AS fr ON fr.partition = c.rejected_partition AND fr.run_id = c.rejected_run_id
{%- endif %}
{%- if gates.secret_detected %}
    LEFT JOIN text_secrets AS sc ON sc.partition = c.chosen_partition AND sc.run_id = c.chosen_run_id
    LEFT JOIN text_secrets AS sr ON sr.partition = c.rejected_partition AND sr.run_id = c.rejected_run_id
{%- endif %}
{%- if gates.hallucinated_file_path %}
    LEFT JOIN evidence_missing_paths AS pc ON pc.partition = c.chosen_partition AND pc.run_id = c.chosen_run_id
    LEFT JOIN evidence_missing_paths AS pr ON pr.partition = c.rejected_partition AND pr.run_id = c.rejected_run_id
{%- endif %}
{%- if gates.benchmark_contamination %}
    LEFT JOIN text_contamination AS xc ON xc.partition = c.chosen_partition AND xc.run_id = c.chosen_run_id
    LEFT JOIN text_contamination AS xr ON xr.partition = c.rejected_partition AND xr.run_id = c.rejected_run_id
{%- endif %}
),
near AS (
    -- SPEC 12.5 for pairs: chosen and rejected compared with each other (DPO learns nothing
    -- from two near-identical texts)
{%- if gates.near_duplicate %}
    -- the MinHash signatures settle most pairs (maybe_close: the two texts of a pair are
    -- rarely alike); the others are compared exactly, each step on the columns of the one
    -- before (a macro argument is pasted in: words inside the shingle macro would be split
    -- again per use)
    SELECT * EXCLUDE (compared, signatures_close, chosen_words, rejected_words, chosen_exact, rejected_exact),
        CASE WHEN compared THEN CASE WHEN signatures_close THEN jaccard(chosen_exact, rejected_exact) ELSE 0.0 END END
            AS pair_similarity
    FROM (
        SELECT *,
            CASE WHEN signatures_close THEN text_shingles(chosen_words) END AS chosen_exact,
            CASE WHEN signatures_close THEN text_shingles(rejected_words) END AS rejected_exact
        FROM (
            SELECT *,
                CASE WHEN signatures_close THEN text_words(chosen_out) END AS chosen_words,
                CASE WHEN signatures_close THEN text_words(rejected_out) END AS rejected_words
            FROM (
                SELECT *, compared AND {{ maybe_close('chosen_sig', 'rejected_sig') }} AS signatures_close
                FROM (
                    SELECT *, judged AND secret_errors IS NULL AND missing_paths IS NULL
                        AND contamination IS NULL AS compared
                    FROM safe
                )
            )
        )
    )
{%- else %}
    SELECT *, NULL::DOUBLE AS pair_similarity FROM safe
{%- endif %}
),
built AS (
    SELECT * REPLACE (CASE WHEN before_id_reason IS NULL THEN id END AS id),
        CASE WHEN NOT already_there THEN '{"schema_version":1,"id":' || json_str(id)
        || ',"prompt":' || json_str(prompt)
        || ',"chosen":' || json_str(chosen_out)
        || ',"rejected":' || json_str(rejected_out)
        || ',"reason":' || json_str(reason_text)
        || ',"chosen_run_id":' || json_str(chosen_run_id)
        || ',"rejected_run_id":' || json_str(rejected_run_id)
        || ',"created_at":' || json_str(getvariable('recorded_at'))
        || ',"provenance":' || provenance_json(provenance_source_file_json,
            provenance_line_offset_json, json_str(pair_sig_hash), getvariable('recorded_at'))
        || '}' END AS row_json,
        -- SPEC 6, check 5
        {{ row_validation('pair_sig_hash', [('prompt', 'has_content(prompt)'), ('chosen', 'has_content(chosen_out)'),
            ('rejected', 'has_content(rejected_out)'), ('reason', 'has_content(reason_text)')]) }} AS validation_errors
    FROM near
),
checked AS (
    -- the texts live on only inside row_json: this table is written to disk, and every
    -- extra copy of two texts per candidate costs more than any check here
    SELECT * EXCLUDE (chosen_text, rejected_text, chosen_trimmed, rejected_trimmed, chosen_out, rejected_out,
            chosen_key, rejected_key, chosen_sig, rejected_sig, refused),
{%- if gates.duplicate_content %}
        -- (the fingerprint's key is the trimmed text's: content keys trim)
        CASE WHEN before_id_reason IS NULL THEN {'c': chosen_key, 'r': rejected_key} END AS pair_key,
{%- endif %}
        refused.reason AS after_id_reason,
        coalesce(refused.errors, validation_errors) AS after_id_errors,
        -- refused by validation: quarantined with the row it would have been
        CASE WHEN refused.reason = 'schema_violation' THEN row_json ELSE source_record END AS after_id_source
    FROM (
        SELECT *,
            -- after the id (check 4): the safety gates of SPEC 12, then check 5
            CASE
                {{ safety_refusals() }}
                -- SPEC 12.5, safety gate 5 (a pair's two texts)
                WHEN pair_similarity >= {{ lit(near_duplicate_threshold) }} THEN {'reason': 'near_duplicate', 'errors':
                    ['chosen and rejected are near duplicates (similarity ' || round(pair_similarity, 2) || ')']}
                -- SPEC 6, check 5: build; validate
                WHEN len(validation_errors) > 0 THEN {'reason': 'schema_violation', 'errors': validation_errors}
            END AS refused
        FROM built
    )
),
decided AS (
    {{ outcomes('checked', "{'group_first': group_first, 'slot': slot}") }}
)
{%- if gates.duplicate_content %}
-- SPEC 12.4, safety gate 4: a pair whose chosen and rejected contents both equal an earlier
-- exported pair's (the output file's rows first, then this run's in pair order)
SELECT d.* REPLACE (
        CASE WHEN v.repeats IS NOT NULL THEN 'quarantined' ELSE d.outcome END AS outcome,
        CASE WHEN v.repeats IS NOT NULL THEN 'duplicate_content' ELSE d.reason END AS reason,
        CASE WHEN v.repeats IS NOT NULL THEN ['same chosen and rejected content as ' || v.repeats] ELSE d.errors END
            AS errors)
FROM decided AS d
LEFT JOIN (
    SELECT x.id, coalesce(o.id, CASE WHEN f.k < {'g': x.group_first, 's': x.slot} THEN f.id END) AS repeats
    FROM decided AS x
    LEFT JOIN (
        SELECT {'c': chosen_key, 'r': rejected_key} AS pair_key, min(id) AS id
        FROM existing_fingerprints
        WHERE file = {{ lit(exporters.preference.dataset) }} AND chosen_key IS NOT NULL
        GROUP BY ALL
    ) AS o USING (pair_key)
    LEFT JOIN (
        SELECT pair_key, arg_min(id, {'g': group_first, 's': slot}) AS id, min({'g': group_first, 's': slot}) AS k
        FROM decided WHERE outcome = 'exported' GROUP BY pair_key
    ) AS f USING (pair_key)
    WHERE x.outcome = 'exported'
) AS v ON v.id = d.id AND d.outcome = 'exported'
{%- else %}
SELECT * FROM decided
{%- endif %}
