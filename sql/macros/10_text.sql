-- Text helpers shared by every model. Executed once per connection, before the models.

-- The JavaScript String.prototype.trim whitespace set (SPEC section 1).
CREATE OR REPLACE TEMP MACRO js_ws() AS
    chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(32) || chr(160) || chr(5760)
    || chr(8192) || chr(8193) || chr(8194) || chr(8195) || chr(8196) || chr(8197) || chr(8198)
    || chr(8199) || chr(8200) || chr(8201) || chr(8202) || chr(8232) || chr(8233) || chr(8239)
    || chr(8287) || chr(12288) || chr(65279);

-- (DuckDB's trim walks the whole string, ~300 MB/s; most texts neither start nor end with
-- whitespace, which the first and last characters settle)
CREATE OR REPLACE TEMP MACRO js_trim(s) AS
    CASE
        WHEN contains(js_ws(), left(s, 1)) OR contains(js_ws(), right(s, 1)) THEN trim(s, js_ws())
        ELSE s
    END;

-- "Has a non-whitespace character": NULL-safe, false for NULL. Most texts start with a
-- visible character, which settles it without the (slower) trim. (CASE, not OR: in a
-- select list DuckDB evaluates both sides of OR for every row)
CREATE OR REPLACE TEMP MACRO has_content(s) AS
    CASE
        WHEN s IS NULL THEN false
        WHEN NOT contains(js_ws(), left(s, 1)) THEN true
        ELSE js_trim(s) <> ''
    END;

-- sha256 id: prefix + first 16 lowercase hex characters (SPEC section 3).
CREATE OR REPLACE TEMP MACRO short_id(prefix, seed) AS prefix || left(sha256(seed), 16);

-- A JSON string literal exactly as JSON.stringify writes it. DuckDB's writer already matches
-- (raw UTF-8, "/" unescaped, \b \f \n \r \t short forms) except that it spells the hex of
-- \u00XX escapes in upper case; the rare strings holding such a control character take the
-- spelled-out path.
CREATE OR REPLACE TEMP MACRO json_str(s) AS
    CASE
        WHEN s IS NULL THEN 'null'
        WHEN regexp_matches(s, '[\x00-\x08\x0b\x0e-\x1f]') THEN
            '"' || replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(
            replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(
            replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(
            replace(replace(replace(replace(
                s, '\', '\\'), '"', '\"'),
                chr(8), '\b'), chr(9), '\t'), chr(10), '\n'), chr(12), '\f'), chr(13), '\r'),
                chr(0), '\u0000'), chr(1), '\u0001'), chr(2), '\u0002'), chr(3), '\u0003'),
                chr(4), '\u0004'), chr(5), '\u0005'), chr(6), '\u0006'), chr(7), '\u0007'),
                chr(11), '\u000b'), chr(14), '\u000e'), chr(15), '\u000f'), chr(16), '\u0010'),
                chr(17), '\u0011'), chr(18), '\u0012'), chr(19), '\u0013'), chr(20), '\u0014'),
                chr(21), '\u0015'), chr(22), '\u0016'), chr(23), '\u0017'), chr(24), '\u0018'),
                chr(25), '\u0019'), chr(26), '\u001a'), chr(27), '\u001b'), chr(28), '\u001c'),
                chr(29), '\u001d'), chr(30), '\u001e'), chr(31), '\u001f') || '"'
        ELSE to_json(s::VARCHAR)::VARCHAR
    END;

-- A JSON array of strings, element by element through json_str.
CREATE OR REPLACE TEMP MACRO json_str_list(l) AS
    '[' || array_to_string(list_transform(l, lambda x: json_str(x)), ',') || ']';
