-- Decoding of lines that are not valid UTF-8, for error excerpts only.
--
-- DuckDB spells a BLOB as text with every byte outside printable ASCII (and the backslash)
-- as \xNN, so the escaped form can be patched with plain string functions. utf8_lossy
-- reproduces Python's bytes.decode(errors="replace"): one U+FFFD per maximal ill-formed
-- subsequence (Unicode 3.9, Table 3-7).

-- Step 1: mark every well-formed multi-byte sequence (\x to \y) so that step 2 skips it.
CREATE OR REPLACE TEMP MACRO utf8_mark_valid(e) AS
    regexp_replace(regexp_replace(regexp_replace(regexp_replace(
    regexp_replace(regexp_replace(regexp_replace(e,
        '\\x(F0)\\x(9[0-9A-F]|[AB][0-9A-F])\\x([89AB][0-9A-F])\\x([89AB][0-9A-F])', '\\y\1\\y\2\\y\3\\y\4', 'g'),
        '\\x(F[1-3])\\x([89AB][0-9A-F])\\x([89AB][0-9A-F])\\x([89AB][0-9A-F])', '\\y\1\\y\2\\y\3\\y\4', 'g'),
        '\\x(F4)\\x(8[0-9A-F])\\x([89AB][0-9A-F])\\x([89AB][0-9A-F])', '\\y\1\\y\2\\y\3\\y\4', 'g'),
        '\\x(E0)\\x([AB][0-9A-F])\\x([89AB][0-9A-F])', '\\y\1\\y\2\\y\3', 'g'),
        '\\x(E[1-9A-CEF])\\x([89AB][0-9A-F])\\x([89AB][0-9A-F])', '\\y\1\\y\2\\y\3', 'g'),
        '\\x(ED)\\x([89][0-9A-F])\\x([89AB][0-9A-F])', '\\y\1\\y\2\\y\3', 'g'),
        '\\x(C[2-9A-F]|D[0-9A-F])\\x([89AB][0-9A-F])', '\\y\1\\y\2', 'g');

-- Step 2: what is left above 0x7F is ill-formed; the longest truncated prefix of a
-- sequence counts as one subpart, any other byte as one.
CREATE OR REPLACE TEMP MACRO utf8_replace_invalid(e) AS
    regexp_replace(e,
        '\\x(?:F0\\x(?:9[0-9A-F]|[AB][0-9A-F])(?:\\x[89AB][0-9A-F])?'
        || '|F[1-3]\\x[89AB][0-9A-F](?:\\x[89AB][0-9A-F])?'
        || '|F4\\x8[0-9A-F](?:\\x[89AB][0-9A-F])?'
        || '|E0\\x[AB][0-9A-F]|E[1-9A-CEF]\\x[89AB][0-9A-F]|ED\\x[89][0-9A-F]'
        || '|[89A-F][0-9A-F])',
        '\\xEF\\xBF\\xBD', 'g');

CREATE OR REPLACE TEMP MACRO utf8_lossy(b) AS
    decode(CAST(replace(utf8_replace_invalid(utf8_mark_valid(CAST(b AS VARCHAR))), '\y', '\x') AS BLOB));
