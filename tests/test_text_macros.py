"""The text macros' fast paths agree with the rule they shortcut (SPEC section 1: the
JavaScript String.prototype.trim whitespace set; SPEC 12.4 and 12.5: content keys and
words), on strings built to hit every path."""

from __future__ import annotations

import hashlib
import re

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from distill_duck.runner import Project

JS_WS = "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a" \
        "\u2028\u2029\u202f\u205f\u3000\ufeff"
# whitespace, near-misses (U+0085 and U+180E are not JS whitespace), and ordinary text
ALPHABET = st.sampled_from(list(JS_WS) + ["\u0085", "\u180e", "a", "é", "😀", "\x00", "#"])


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    c = duckdb.connect()
    Project().install_macros(c)
    return c


@settings(max_examples=400, deadline=None)
@given(s=st.text(ALPHABET, max_size=8))
def test_js_trim_and_has_content_follow_javascript(con: duckdb.DuckDBPyConnection, s: str) -> None:
    trimmed, content = con.execute("SELECT js_trim(?1), has_content(?1)", [s]).fetchone()
    assert trimmed == s.strip(JS_WS)
    assert content == (s.strip(JS_WS) != "")


def test_null_has_no_content(con: duckdb.DuckDBPyConnection) -> None:
    assert con.execute("SELECT js_trim(NULL), has_content(NULL)").fetchone() == (None, False)


def _spec_content(s: str) -> str:
    """SPEC 12.4 as written: trim, then collapse every run of whitespace into one space."""
    return re.sub(f"[{re.escape(JS_WS)}]+", " ", s).strip(JS_WS)


@settings(max_examples=400, deadline=None)
@given(a=st.text(ALPHABET, max_size=10), b=st.text(ALPHABET, max_size=10))
def test_content_keys_are_equal_exactly_when_the_collapsed_texts_are(
        con: duckdb.DuckDBPyConnection, a: str, b: str) -> None:
    key_a, key_b, digest = con.execute(
        "SELECT content_key(?1), content_key(?2), md5_number(?3)", [a, b, _spec_content(a)]).fetchone()
    assert (key_a == key_b) == (_spec_content(a) == _spec_content(b))
    assert key_a == digest
    assert hashlib.md5(_spec_content(a).encode()).hexdigest()  # (the form hashed is the SPEC's)


@settings(max_examples=200, deadline=None)
@given(s=st.text(st.sampled_from(list(JS_WS[:6]) + ["a", "B", "é", "7", "_", "-", "😀", "Ω"]), max_size=16))
def test_words_are_lowercased_runs_of_letters_and_digits(con: duckdb.DuckDBPyConnection, s: str) -> None:
    expected = [w for w in re.split(r"[^\w]|_", s.lower()) if w]
    assert con.execute("SELECT text_words(?)", [s]).fetchone()[0] == expected
