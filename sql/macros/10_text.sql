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
