-- Spark bodies of the JSON macros of macros/20_json.sql (same names, same results).
-- Spark SQL, inlined into the models as text by distill_duck/engines/spark_sql.py.
-- A JSON fragment here is the text DuckDB's json_extract gives: the value minified, in
-- document order (see json_fields in macros/spark/fields.sql).

-- Strict RFC 8259, as DuckDB's json_valid plus the NaN/trailing-comma check: Spark's
-- parser is strict about tokens but stops after the first value, so the rest of the
-- line must be whitespace. With the strings blanked out, an object or array must close
-- only at its last character; any other value must be one token. (The string pattern is
-- possessive: Java's regex engine recurses per repetition of an alternation.)
CREATE OR REPLACE TEMP MACRO strict_json_valid(s) AS
    try_parse_json(s) IS NOT NULL
    AND transform(array(trim(regexp_replace(s, '"[^"\\\\]*+(?:\\\\.[^"\\\\]*+)*+"', '""'))), b ->
        CASE
            WHEN startswith(b, '{') OR startswith(b, '[') THEN
                aggregate(sequence(1, length(b)), 0, (depth, i) ->
                    CASE
                        WHEN depth < 0 THEN depth
                        WHEN substr(b, i, 1) IN ('{', '[') THEN depth + 1
                        WHEN substr(b, i, 1) IN ('}', ']') THEN
                            CASE WHEN depth = 1 AND i < length(b) THEN -1 ELSE depth - 1 END
                        ELSE depth
                    END) = 0
            ELSE b RLIKE '^(?:""|-?[0-9][0-9.eE+-]*|true|false|null)$'
        END)[0];

CREATE OR REPLACE TEMP MACRO json_string(j) AS
    CASE WHEN startswith(j, '"') THEN variant_get(try_parse_json(j), '$', 'string') END;

CREATE OR REPLACE TEMP MACRO json_strings(j) AS
    CASE WHEN startswith(j, '[') THEN
        transform(
            filter(try_variant_get(try_parse_json(j), '$', 'array<variant>'), e -> schema_of_variant(e) = 'STRING'),
            e -> variant_get(e, '$', 'string'))
    END;

-- (Spark's map reader keeps a key given twice twice, as DuckDB's '$.*' does)
CREATE OR REPLACE TEMP MACRO json_object_strings(j) AS
    CASE WHEN strict_json_valid(j) THEN
        transform(
            filter(map_values(from_json(j, 'map<string,variant>')), v -> schema_of_variant(v) = 'STRING'),
            v -> variant_get(v, '$', 'string'))
    END;

CREATE OR REPLACE TEMP MACRO json_int64(j) AS
    CASE WHEN schema_of_variant(try_parse_json(j)) = 'BIGINT'
        THEN variant_get(try_parse_json(j), '$', 'bigint') END;

-- A character outside the Basic Multilingual Plane as UTF-8, from the JSON escape of its
-- UTF-16 surrogate pair (m: the 12 characters \uD83D\uDE00).
CREATE OR REPLACE TEMP MACRO utf16_pair(m) AS
    transform(array(65536 + (CAST(conv(substr(m, 3, 4), 16, 10) AS INT) - 55296) * 1024
                    + CAST(conv(substr(m, 9, 4), 16, 10) AS INT) - 56320), cp ->
        decode(unhex(concat(hex(240 | shiftright(cp, 18)), hex(128 | (shiftright(cp, 12) & 63)),
                            hex(128 | (shiftright(cp, 6) & 63)), hex(128 | (cp & 63)))), 'UTF-8'))[0];

-- get_json_object (Jackson) escapes characters beyond U+FFFF as surrogate pairs, which
-- DuckDB writes raw: each pair back to its character. Escaped backslashes are parked on
-- chr(1) first, so only a backslash that starts an escape is read as one.
CREATE OR REPLACE TEMP MACRO json_raw_astral(v) AS
    CASE WHEN NOT contains(v, '\\uD') THEN v ELSE
        transform(array(replace(v, '\\\\', '\u0001')), s -> replace(array_join(zip_with(
            split(s, '\\\\uD[89AB][0-9A-F]{2}\\\\uD[C-F][0-9A-F]{2}'),
            concat(regexp_extract_all(s, '(\\\\uD[89AB][0-9A-F]{2}\\\\uD[C-F][0-9A-F]{2})', 1), array('')),
            (text, pair) -> text || CASE WHEN pair = '' THEN '' ELSE utf16_pair(pair) END), ''),
            '\u0001', '\\\\'))[0]
    END;

-- (get_json_object writes a value minified, in document order; a variant would sort keys)
CREATE OR REPLACE TEMP MACRO json_min(j) AS
    json_lower_escapes(json_raw_astral(get_json_object(j, '$')));

CREATE OR REPLACE TEMP MACRO json_out(j) AS
    CASE
        WHEN j IS NULL THEN NULL
        WHEN startswith(j, '"') THEN json_str(variant_get(try_parse_json(j), '$', 'string'))
        ELSE json_min(j)
    END;

-- Jackson, like DuckDB, writes \u00XX escapes in upper case: json_lower_escapes mends them
CREATE OR REPLACE TEMP MACRO json_str(s) AS
    CASE
        WHEN s IS NULL THEN 'null'
        ELSE transform(array(to_json(named_struct('v', CAST(s AS STRING)))),
            v -> json_lower_escapes(substr(v, 6, length(v) - 6)))[0]
    END;

CREATE OR REPLACE TEMP MACRO json_is_object(j) AS startswith(j, '{');

-- SPEC 12.4's digest: a 128-bit md5, as its hex text (Spark has no 128-bit integer)
CREATE OR REPLACE TEMP MACRO md5_number(s) AS md5(s);
