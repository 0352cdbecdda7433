-- Spark bodies of text macros of macros/10_text.sql whose DuckDB spelling has no Spark
-- translation (list_zip, a '0x' cast) or whose Spark spelling means something else
-- (lower). Same results.

CREATE OR REPLACE TEMP MACRO hex_number(s) AS CAST(conv(s, 16, 10) AS BIGINT);

-- Java's lower case is the full Unicode mapping, DuckDB's one character at a time: the two
-- letters they map differently are mapped DuckDB's way first (Java makes a final capital
-- sigma a final small sigma, and a dotted capital I an i and a combining dot, which would
-- end the word there).
CREATE OR REPLACE TEMP MACRO text_words(text) AS
    regexp_extract_all(lower(replace(replace(text, 'Σ', 'σ'), 'İ', 'i')), '[\\pL\\pN]+', 0);

CREATE OR REPLACE TEMP MACRO text_shingles(w) AS
    array_distinct(CASE WHEN size(w) < 5 THEN array(array_join(w, ' '))
        ELSE transform(sequence(1, size(w) - 4), i -> array_join(slice(w, i, 5), ' ')) END);

CREATE OR REPLACE TEMP MACRO agreeing(a, b) AS
    aggregate(zip_with(a, b, (x, y) -> CAST(x = y AS INT)), 0, (n, v) -> n + v);

-- (Spark's hashes are signed, and % keeps the sign: the range must still be one of 0-31)
CREATE OR REPLACE TEMP MACRO hash_range(h) AS pmod(h, 32);
