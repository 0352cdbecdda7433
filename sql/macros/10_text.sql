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

-- A text of up to 15 hexadecimal digits as the integer it spells.
CREATE OR REPLACE TEMP MACRO hex_number(s) AS CAST('0x' || s AS UBIGINT);

-- sha256 id: prefix + first 16 lowercase hex characters (SPEC section 3).
CREATE OR REPLACE TEMP MACRO short_id(prefix, seed) AS prefix || left(sha256(seed), 16);

-- The dataset ids (SPEC 3, 4, 5, 6), declared once: a RAG or SFT row's from its record,
-- a preference pair's from its two runs and its task.
CREATE OR REPLACE TEMP MACRO record_id(prefix, evidence_run_id, sig_hash) AS
    short_id(prefix, evidence_run_id || '|' || sig_hash);
CREATE OR REPLACE TEMP MACRO pair_id(chosen_run_id, rejected_run_id, task_id) AS
    short_id('pref-', chosen_run_id || '|' || rejected_run_id || '|' || task_id);

-- The RAG title line: the first line of a text with a non-whitespace character, untrimmed,
-- 120 characters (SPEC 4; the first line almost always qualifies, so only otherwise is the
-- whole text split). NULL when there is none.
CREATE OR REPLACE TEMP MACRO first_content_line(text) AS
    left(CASE
        WHEN has_content(split_part(text, chr(10), 1)) THEN split_part(text, chr(10), 1)
        ELSE list_filter(string_split(text, chr(10)), lambda l: has_content(l))[1]
    END, 120);

-- SPEC 12.4: texts are the same content when equal after trimming and collapsing every run
-- of (JavaScript) whitespace into one space; compared by a 128-bit digest of that form.
-- Only the runs that are not already one space are replaced (a run that starts with other
-- whitespace, or a space followed by more): a text has far fewer of those than spaces,
-- and the replacement costs per match.
CREATE OR REPLACE TEMP MACRO content_key(text) AS
    md5_number(js_trim(regexp_replace(text,
        '[\t\n\x0B\f\r\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}\x{FEFF}]'
        || '[\t\n\x0B\f\r \x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}\x{FEFF}]*'
        || '| [\t\n\x0B\f\r \x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}\x{FEFF}]+',
        ' ', 'g')));

-- SPEC 12.5: the words of a text, lowercased maximal runs of Unicode letters and digits.
CREATE OR REPLACE TEMP MACRO text_words(text) AS
    regexp_extract_all(lower(text), '[\pL\pN]+');

-- SPEC 12.5: the shingles (word 5-grams) of a word list, as strings; a text of fewer than
-- five words has one shingle, all its words. (Words hold no spaces, so the joined form is
-- exact.)
CREATE OR REPLACE TEMP MACRO text_shingles(w) AS
    list_distinct(CASE WHEN len(w) < 5 THEN [array_to_string(w, ' ')]
        ELSE list_transform(list_zip(w, w[2:], w[3:], w[4:], w[5:], true),
            lambda z: z[1] || ' ' || z[2] || ' ' || z[3] || ' ' || z[4] || ' ' || z[5]) END);

-- The shingles of a text as 64-bit hashes, from its words' hashes (word_hashes): a tenth
-- of the memory of the strings, and each word is hashed once. Two different shingles can
-- only collide, never split, so the Jaccard similarity of two hash sets is never below the
-- exact one: below a threshold it settles a comparison, and only at or above it are the
-- shingles compared as strings. (Repeats are kept: list_distinct where a set is meant.)
-- `wh` must be a column: a macro argument is pasted in, and an expression inside the
-- lambda would be computed again for every shingle.
CREATE OR REPLACE TEMP MACRO word_hashes(w) AS list_transform(w, lambda x: hash(x));
CREATE OR REPLACE TEMP MACRO shingle_hashes(wh) AS
    CASE WHEN len(wh) < 5 THEN [hash(wh)]
        ELSE list_transform(range(1, len(wh) - 3),
            lambda i: hash(wh[i], wh[i + 1], wh[i + 2], wh[i + 3], wh[i + 4])) END;

-- Which of the 32 ranges of one-permutation MinHash a shingle hash falls in (fingerprints.sql).
CREATE OR REPLACE TEMP MACRO hash_range(h) AS h % 32;

-- How many positions two MinHash signatures (lists of one length) agree on.
CREATE OR REPLACE TEMP MACRO agreeing(a, b) AS
    list_sum(list_transform(list_zip(a, b), lambda z: (z[1] = z[2])::INTEGER));

-- Exact Jaccard similarity of two shingle sets (lists without repeats). The intersection
-- is taken once: the one-element list_transform binds it to i. Pass columns, not
-- expressions (a macro argument is pasted in wherever it is used).
CREATE OR REPLACE TEMP MACRO jaccard(a, b) AS
    list_transform([len(list_intersect(a, b))], lambda i: i / (len(a) + len(b) - i))[1];
