-- JSON helpers: strict RFC 8259 validity and the SPEC section 2 type rule.

-- DuckDB's parser accepts NaN/Infinity (any case, signed) and trailing commas; RFC 8259
-- does not. The first regex looks for those tokens where a JSON value or a closing bracket
-- could stand; only when it hits (rarely, inside some string) are the strings blanked out
-- and the bare structure checked again.
CREATE OR REPLACE TEMP MACRO strict_json_valid(s) AS
    coalesce(json_valid(s), false)
    -- CASE, not AND: DuckDB evaluates both sides of an AND for every row
    AND CASE
        -- (one literal: a concatenated pattern is compiled again for every row)
        WHEN regexp_matches(s, '(?:^|[:\[,])[ \t\r\n]*[-+]?(?i:nan|inf(?:inity)?)[ \t\r\n]*(?:$|[,\]}])|,[ \t\r\n]*[\]}]')
            THEN NOT regexp_matches(
                regexp_replace(s, '"(?:[^"\\]|\\.)*"', '""', 'g'),
                '(?i:nan|inf)|,[ \t\r\n]*[\]}]')
        ELSE true
    END;

-- The value at a path when it is a JSON string, else NULL (wrong types read as absent).
-- (j is a fragment DuckDB extracted, so minified: its first character tells its type
-- without parsing it a second time)
CREATE OR REPLACE TEMP MACRO json_string(j) AS
    CASE WHEN starts_with(j, '"') THEN json_extract_string(j, '$') END;

-- The string elements of a JSON array (non-strings ignored); NULL when j is not an array.
CREATE OR REPLACE TEMP MACRO json_strings(j) AS
    CASE WHEN starts_with(j, '[') THEN
        list_transform(
            list_filter(json_extract(j, '$[*]'), lambda e: json_type(e) = 'VARCHAR'),
            lambda e: json_extract_string(e, '$'))
    END;

-- The string values of a JSON object (non-strings ignored), in document order, a key
-- given twice giving each of its values; NULL when j is not a JSON object.
CREATE OR REPLACE TEMP MACRO json_object_strings(j) AS
    CASE WHEN strict_json_valid(j) THEN CASE WHEN json_type(j) = 'OBJECT' THEN
        list_transform(
            list_filter(json_extract(j, '$.*'), lambda v: json_type(v) = 'VARCHAR'),
            lambda v: json_extract_string(v, '$'))
    END END;

-- A JSON integer (no fraction or exponent) within the signed 64-bit range, else NULL.
CREATE OR REPLACE TEMP MACRO json_int64(j) AS
    CASE
        WHEN json_type(j) = 'BIGINT' THEN CAST(j AS BIGINT)
        WHEN json_type(j) = 'UBIGINT' THEN TRY_CAST(json_extract_string(j, '$') AS BIGINT)
    END;


-- Any JSON value minified by DuckDB, in the output byte format. DuckDB spells the hex of
-- \u00XX escapes in upper case; only 0B, 0E, 0F, 1A-1F have letters. Escaped backslashes
-- are parked on chr(1) (never raw in JSON text) first, so every backslash left starts an
-- escape and a literal "\u001B" in the data is not touched.
CREATE OR REPLACE TEMP MACRO json_lower_escapes(v) AS
    CASE WHEN NOT contains(v, '\u00') THEN v  -- (a plain substring test: far cheaper)
    WHEN NOT regexp_matches(v, '\\u00(?:0[BEF]|1[A-F])') THEN v ELSE
        replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(
            replace(v, '\\', chr(1)),
            '\u000B', '\u000b'), '\u000E', '\u000e'), '\u000F', '\u000f'), '\u001A', '\u001a'),
            '\u001B', '\u001b'), '\u001C', '\u001c'), '\u001D', '\u001d'), '\u001E', '\u001e'),
            '\u001F', '\u001f'), chr(1), '\\')
    END;

-- A JSON string literal exactly as JSON.stringify writes it. DuckDB's writer already matches
-- (raw UTF-8, "/" unescaped, \b \f \n \r \t short forms) except the upper-case hex of
-- \u00XX escapes, which json_lower_escapes mends; a text without any "\u00" (nearly all)
-- skips even that scan. (A macro argument is pasted wherever it is used: the one-element
-- lambda makes DuckDB write each text's JSON once, not once per use in json_lower_escapes.)
CREATE OR REPLACE TEMP MACRO json_str(s) AS
    CASE
        WHEN s IS NULL THEN 'null'
        ELSE list_transform([to_json(s::VARCHAR)::VARCHAR], lambda v: json_lower_escapes(v))[1]
    END;

-- A JSON array of strings, element by element through json_str.
CREATE OR REPLACE TEMP MACRO json_str_list(l) AS
    '[' || array_to_string(list_transform(l, lambda x: json_str(x)), ',') || ']';

CREATE OR REPLACE TEMP MACRO json_min(j) AS
    list_transform([CAST(json(j) AS VARCHAR)], lambda v: json_lower_escapes(v))[1];  -- (once: see json_str)

-- A JSON value written back out in the output byte format: strings through json_str,
-- everything else minified by DuckDB. NULL (absent) stays NULL so callers can omit the key.
CREATE OR REPLACE TEMP MACRO json_out(j) AS
    CASE
        WHEN j IS NULL THEN NULL
        WHEN json_type(j) = 'VARCHAR' THEN json_str(json_extract_string(j, '$'))
        ELSE json_min(j)
    END;

-- One quarantine row (SPEC section 3.1), keys in order.
CREATE OR REPLACE TEMP MACRO quarantine_json(qid, exporter, reason, errors, file, line,
                                        source_record, source_provenance, recorded_at) AS
    '{"id":' || json_str(qid)
    || ',"exporter":' || json_str(exporter)
    || ',"reason":' || json_str(reason)
    || ',"errors":' || json_str_list(errors)
    || ',"input":{"file":' || json_str(file) || ',"line":' || CAST(line AS VARCHAR) || '}'
    || ',"source_record":' || source_record
    || ',"source_provenance":' || coalesce(source_provenance, 'null')
    || ',"recorded_at":' || json_str(recorded_at) || '}';

-- A row's provenance: the scored record's raw values (absent keys omitted, as
-- JSON.stringify omits undefined), then this run's recorded_at.
CREATE OR REPLACE TEMP MACRO provenance_json(source_file, line_offset, sig_hash, recorded_at) AS
    '{' || concat_ws(',',
        '"source_file":' || source_file,
        '"line_offset":' || line_offset,
        '"sig_hash":' || sig_hash,
        '"recorded_at":' || json_str(recorded_at)) || '}';

-- Whether a JSON fragment is an object.
CREATE OR REPLACE TEMP MACRO json_is_object(j) AS json_type(j) = 'OBJECT';
