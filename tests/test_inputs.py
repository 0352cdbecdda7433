"""End to end: partition files on disk -> the input relations of the warehouse.

Covers SPEC section 1 (discovery, pairing, line splitting), 2 (type rule, last-wins),
7 (input errors), 10 (the relations) and the root handling of section 11. Every
expectation below is derived from SPEC.md, never from the implementation's output.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.conftest import (
    RECORDED_AT,
    evidence,
    export_json,
    run_cli,
    scored,
    snapshot,
    write_partition,
)

BOM = b"\xef\xbb\xbf"

# What a line is, per SPEC sections 1 and 7.
OBJ = "object"  # a record (JSON object)
BLANK = "blank"  # empty or JS-whitespace only: no trace at all
NOT_JSON = "not JSON"  # input error
NOT_OBJECT = "not an object"  # input error (valid JSON, other type)
BAD_UTF8 = "invalid UTF-8"  # input error ("not JSON")
ERRORS = (NOT_JSON, NOT_OBJECT, BAD_UTF8)

KIND_DIR = {"scored": "scored-runs", "evidence": "evidence"}

# ---------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------


def fetch(root: Path, sql: str) -> list[tuple[Any, ...]]:
    """Rows of a query against the published warehouse (opened read-only, like a BI tool)."""
    con = duckdb.connect(str(root / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def rows_of(path: Path) -> list[dict[str, Any]]:
    """The JSON lines of an output file, split on \\n only (str.splitlines would also split
    on U+0085, U+2028, ... which output strings may hold raw)."""
    if not path.exists():
        return []
    data = path.read_bytes()
    assert data == b"" or data.endswith(b"\n"), f"{path} must end with a newline"
    return [json.loads(line) for line in data.decode("utf-8").split("\n") if line]


def write_raw(root: Path, kind: str, rel: str, data: bytes) -> str:
    """Write data/<kind dir>/<rel> byte for byte; return its root-relative path."""
    path = root / "data" / KIND_DIR[kind] / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return f"data/{KIND_DIR[kind]}/{rel}"


def cli_in(cwd: Path, *args: str, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the CLI from a chosen working directory (so a wrong root default lands there)."""
    return run_cli(*args, check=False, env=env, cwd=cwd)


def assert_usage_error(p: subprocess.CompletedProcess[str]) -> None:
    """SPEC 11: a bad invocation exits 2 with a one-line error."""
    assert p.returncode == 2, (p.returncode, p.stderr)
    message = p.stderr.strip()
    assert message, "a bad invocation must say what is wrong"
    assert "\n" not in message, f"the error must be one line, got:\n{p.stderr}"
    assert "Traceback" not in p.stderr


# ---------------------------------------------------------------------------------------
# SPEC section 1: every kind of line
# ---------------------------------------------------------------------------------------

# Object lines carry "RID", replaced by a run id unique within the file (r<line>).
_R = '"run_id": "RID", "evidence_run_id": "RID"'


def _obj(rest: str = "") -> str:
    return "{" + _R + (", " + rest if rest else "") + "}"


LINE_CASES: list[tuple[str, str | bytes, str]] = [
    # records
    ("plain object", _obj(), OBJ),
    ("compact object", '{"run_id":"RID","evidence_run_id":"RID"}', OBJ),
    ("RFC whitespace around the value", " \t" + _obj() + "\t ", OBJ),
    ("CR before the value", "\r" + _obj(), OBJ),
    ("two trailing CRs: one removed, one is JSON whitespace", _obj() + "\r\r", OBJ),
    ("NaN-looking text inside a string", _obj('"text": "value: NaN, inf"'), OBJ),
    ("trailing-comma-looking text inside a string", _obj('"text": "[1,2,] {a:1,} -Infinity"'), OBJ),
    ("keys that look like NaN", _obj('"nan": 1, "Infinity": [], "inf": {}'), OBJ),
    ("escaped backslash ends a string", _obj(r'"text": "C:\\", "y": ",nan"'), OBJ),
    ("escaped quote", _obj(r'"text": "say \"NaN\", ok"'), OBJ),
    ("escaped backslash before u", _obj(r'"text": "\\ud800"'), OBJ),
    ("surrogate pair", _obj(r'"text": "\ud83d\ude00"'), OBJ),
    ("uppercase surrogate pair", _obj(r'"text": "\uD83D\uDE00"'), OBJ),
    ("numbers", _obj('"x": 1e5, "y": -0.5E-3, "z": 0, "w": [true, false, null]'), OBJ),
    ("non-ASCII", _obj('"text": "é 湖 \\u00e9 😀"'), OBJ),
    ("duplicate keys",
     '{"run_id": "RID", "evidence_run_id": "RID", "run_id": "RIDdup", "x": 1, "x": 2}', OBJ),
    # not records, no trace
    ("empty line", "", BLANK),
    ("spaces and tabs", "  \t  ", BLANK),
    ("lone CR", "\r", BLANK),
    ("only U+00A0", "\u00a0", BLANK),
    ("only U+3000", "\u3000", BLANK),
    ("every other JS whitespace",
     "\x0b\x0c\u1680\u2000\u2005\u200a\u2028\u2029\u202f\u205f\ufeff", BLANK),
    # not JSON
    ("U+0085 is not JS whitespace", "\u0085", NOT_JSON),
    ("U+200B is not JS whitespace", "\u200b", NOT_JSON),
    ("U+00A0 before JSON", "\u00a0" + _obj(), NOT_JSON),
    ("U+3000 after JSON", _obj() + "\u3000", NOT_JSON),
    ("BOM not at the start of the file", "\ufeff" + _obj(), NOT_JSON),
    ("vertical tab before JSON", "\x0b" + _obj(), NOT_JSON),
    ("truncated", '{"run_id": "RID", "evidence_run_id": "RI', NOT_JSON),
    ("truncated after a comma", _obj()[:-1] + ",", NOT_JSON),
    ("NaN", _obj('"x": NaN'), NOT_JSON),
    ("-Infinity", _obj('"x": -Infinity'), NOT_JSON),
    ("Infinity in an array", _obj('"x": [1, Infinity]'), NOT_JSON),
    ("lowercase nan", _obj('"x": nan'), NOT_JSON),
    ("inf", _obj('"x": inf'), NOT_JSON),
    ("bare NaN", "NaN", NOT_JSON),
    ("trailing comma in an object", _obj('"x": 1,'), NOT_JSON),
    ("trailing comma in an array", _obj('"x": [1, 2,]'), NOT_JSON),
    ("trailing comma before whitespace", _obj('"x": 1 ,\t'), NOT_JSON),
    ("plus sign", _obj('"x": +1'), NOT_JSON),
    ("leading zero", _obj('"x": 01'), NOT_JSON),
    ("hex number", _obj('"x": 0x1F'), NOT_JSON),
    ("fraction without digits", _obj('"x": 1.'), NOT_JSON),
    ("single quotes", "{'run_id': 'RID'}", NOT_JSON),
    ("unquoted key", '{run_id: "RID"}', NOT_JSON),
    ("raw tab inside a string", _obj('"x": "a\tb"'), NOT_JSON),
    ("invalid escape", _obj(r'"x": "\x41"'), NOT_JSON),
    ("line comment", _obj() + " // note", NOT_JSON),
    ("block comment before", "/* note */ " + _obj(), NOT_JSON),
    ("block comment inside", '{"run_id": /* note */ "RID"}', NOT_JSON),
    ("hash comment", "# note", NOT_JSON),
    ("trailing garbage", _obj() + " x", NOT_JSON),
    ("two objects on one line", _obj() + _obj(), NOT_JSON),
    ("comma after the object", _obj() + ",", NOT_JSON),
    ("extra closing brace", _obj() + "}", NOT_JSON),
    ("NUL after the object", _obj() + "\x00", NOT_JSON),
    ("lone high surrogate", _obj(r'"text": "\ud800"'), NOT_JSON),
    ("lone low surrogate", _obj(r'"text": "x\udc00y"'), NOT_JSON),
    ("uppercase lone surrogate", _obj(r'"text": "\uD83D"'), NOT_JSON),
    ("two high surrogates", _obj(r'"text": "\ud800\ud800"'), NOT_JSON),
    ("reversed pair", _obj(r'"text": "\ude00\ud83d"'), NOT_JSON),
    ("lone surrogate in a key", '{"\\ud800": 1, ' + _R + "}", NOT_JSON),
    # valid JSON, not an object
    ("array", '["RID", 1]', NOT_OBJECT),
    ("array of objects", "[" + _obj() + "]", NOT_OBJECT),
    ("empty array", "[]", NOT_OBJECT),
    ("string", '"RID"', NOT_OBJECT),
    ("number", "42", NOT_OBJECT),
    ("padded negative float", " -1.5e3 ", NOT_OBJECT),
    ("null", "null", NOT_OBJECT),
    ("true", "true", NOT_OBJECT),
    # not valid UTF-8
    ("0xFF in a string", b'{"run_id": "RID", "text": "\xff"}', BAD_UTF8),
    ("truncated 2-byte sequence", b'{"run_id": "RID", "text": "caf\xc3"}', BAD_UTF8),
    ("encoded surrogate", b'{"run_id": "RID", "text": "\xed\xa0\x80"}', BAD_UTF8),
    ("overlong encoding", b"\xc0\xaf", BAD_UTF8),
    ("above U+10FFFF", b"\xf4\x90\x80\x80 x", BAD_UTF8),
    ("truncated 3-byte sequence before backslashes", b"\xe2\x82( \\x0A \\\\ \\n", BAD_UTF8),
    ("truncated 4-byte sequence before valid ones", b"\xf0\x9f\x98" + "é😀".encode(), BAD_UTF8),
    ("lone continuation bytes", b"\x80\xbf\x80 ok", BAD_UTF8),
    ("Latin-1 no-break space (not blank)", b"  \xa0  ", BAD_UTF8),
    ("long line", b"\xff" + "é".encode() * 250, BAD_UTF8),
]

# Values that the text field of some object lines must read as (SPEC 2.1 `text`).
TEXTS = {
    "NaN-looking text inside a string": "value: NaN, inf",
    "escaped backslash ends a string": "C:\\",
    "escaped backslash before u": "\\ud800",
    "surrogate pair": "\U0001F600",
    "uppercase surrogate pair": "\U0001F600",
    "non-ASCII": "é 湖 é \U0001F600",
}


@dataclass(frozen=True)
class Expected:
    """One physical line of a written file and what SPEC says it is."""

    kind: str
    file: str
    line: int
    label: str
    what: str
    body: bytes  # the line without a file-start BOM and one trailing CR
    run_id: str

    @property
    def excerpt(self) -> str:
        """SPEC 7 / 3.1: first 200 characters, invalid bytes replaced as Python does."""
        return self.body.decode("utf-8", "replace")[:200]


def _raw(x: str | bytes) -> bytes:
    return x if isinstance(x, bytes) else x.encode("utf-8")


def write_case_file(root: Path, kind: str, rel: str, cases: Sequence[tuple[str, str | bytes, str]],
                    newline: bytes = b"\n", bom: bool = False, final_newline: bool = True) -> list[Expected]:
    lines = [_raw(raw).replace(b"RID", f"r{i}".encode()) for i, (_, raw, _) in enumerate(cases)]
    data = newline.join(lines) + (newline if final_newline and lines else b"")
    file = write_raw(root, kind, rel, (BOM if bom else b"") + data)
    out = []
    for i, ((label, _, what), line) in enumerate(zip(cases, lines, strict=True)):
        # the physical line as split on \n, then minus one trailing CR
        last = i == len(lines) - 1
        physical = line + (newline[:-1] if final_newline or not last else b"")
        body = physical[:-1] if physical.endswith(b"\r") else physical
        out.append(Expected(kind, file, i, label, what, body, f"r{i}"))
    return out


@dataclass
class MessyLake:
    root: Path
    expected: list[Expected]
    summary: dict[str, Any]

    def of(self, kind: str, *whats: str) -> list[Expected]:
        return [e for e in self.expected if e.kind == kind and e.what in whats]


@pytest.fixture(scope="module")
def messy(tmp_path_factory: pytest.TempPathFactory) -> MessyLake:
    """Every line case alone in its own file, and all of them together in files with and
    without a BOM, LF and CRLF, with and without a final newline, on the UTF-8 fast path
    and in files holding invalid bytes; plus the odd whole-file cases. Both kinds."""
    root = tmp_path_factory.mktemp("messy")
    expected: list[Expected] = []
    utf8_only = [c for c in LINE_CASES if c[2] != BAD_UTF8]
    for kind in KIND_DIR:
        for i, case in enumerate(LINE_CASES):
            # a BOM-first line alone in a file would be a file-start BOM: put a blank line first
            alone = [("leading blank line", "", BLANK), case] if _raw(case[1]).startswith(BOM) else [case]
            expected += write_case_file(root, kind, f"2026/04/27/alone-{i:03d}.jsonl", alone)
        expected += write_case_file(root, kind, "2026/04/28/all-lf.jsonl", LINE_CASES, bom=True)
        expected += write_case_file(root, kind, "2026/04/28/all-crlf.jsonl", LINE_CASES, newline=b"\r\n",
                                    bom=True, final_newline=False)
        expected += write_case_file(root, kind, "2026/04/28/all-utf8.jsonl", utf8_only, bom=True)
        expected += write_case_file(root, kind, "2026/04/28/all-utf8-crlf.jsonl", utf8_only[::-1],
                                    newline=b"\r\n")
        # whole-file cases
        write_raw(root, kind, "2026/04/29/empty.jsonl", b"")
        write_raw(root, kind, "2026/04/29/bom-only.jsonl", BOM)
        write_raw(root, kind, "2026/04/29/newlines-only.jsonl", b"\n\r\n \n\t\r\n")
        plain = ("plain object", _obj(), OBJ)
        expected += write_case_file(root, kind, "2026/04/29/bom-then-blank.jsonl",
                                    [("BOM-only first line", "", BLANK), plain], bom=True)
        expected += write_case_file(root, kind, "2026/04/29/double-bom.jsonl",
                                    [("second BOM is not ignored", "\ufeff" + _obj(), NOT_JSON), plain],
                                    bom=True)
        expected += write_case_file(root, kind, "2026/04/29/bom-then-garbage.jsonl",
                                    [("garbage after the BOM", "nope é", NOT_JSON), plain], bom=True)
        expected += write_case_file(root, kind, "2026/04/29/bom-and-bad-byte.jsonl",
                                    [plain, ("0xFF", b"\xff", BAD_UTF8), plain], bom=True)
        expected += write_case_file(root, kind, "2026/04/29/no-final-newline.jsonl",
                                    [plain, ("", "", BLANK), plain], final_newline=False)
        expected += write_case_file(root, kind, "2026/04/29/torn-end.jsonl",
                                    [plain, ("torn", '{"run_id": "r1', NOT_JSON)], final_newline=False)
        expected += write_case_file(root, kind, "2026/04/29/long-lines.jsonl",
                                    [("long garbage", "ü" * 300, NOT_JSON),
                                     ("long array", "[" + ",".join(['"湖"'] * 150) + "]", NOT_OBJECT),
                                     ("long object", _obj('"text": "' + "é" * 400 + '"'), OBJ)])
    assert (root / "data/scored-runs/2026/04/28/all-crlf.jsonl").read_bytes().startswith(BOM + b'{"run_id"')

    summary = export_json(root)
    run_cli("run", "--root", str(root))  # after the export: `run` publishes every model's table
    return MessyLake(root, expected, summary)


def _error_rows(lake: MessyLake) -> dict[tuple[str, str, int], tuple[str, str]]:
    rows = fetch(lake.root, "SELECT kind, file, line, error, excerpt FROM input_errors")
    keys = [(k, f, n) for k, f, n, _, _ in rows]
    assert len(keys) == len(set(keys)), "an input error is recorded once"
    return {(k, f, n): (err, ex) for k, f, n, err, ex in rows}


def test_input_errors_are_exactly_the_malformed_lines(messy: MessyLake) -> None:
    got = _error_rows(messy)
    want = {(e.kind, e.file, e.line): e for e in messy.expected if e.what in ERRORS}
    missing = sorted((k, want[k].label) for k in want.keys() - got.keys())
    extra = sorted(got.keys() - want.keys())
    assert not missing, f"malformed lines not recorded as input errors: {missing}"
    assert not extra, f"lines recorded as input errors that are not: {extra}"


def test_input_error_excerpts_and_messages(messy: MessyLake) -> None:
    got = _error_rows(messy)
    for e in messy.expected:
        if e.what not in ERRORS:
            continue
        error, excerpt = got[(e.kind, e.file, e.line)]
        assert excerpt == e.excerpt, (e.label, e.file, e.line)
        assert error, e.label
        assert ("UTF-8" in error) == (e.what == BAD_UTF8), (e.label, error)
        if e.what == BAD_UTF8:
            assert "not valid UTF-8" in error, (e.label, error)
        if e.what == NOT_OBJECT:
            assert "object" in error, (e.label, error)


@pytest.mark.parametrize("kind", ["scored", "evidence"])
def test_every_non_blank_line_is_one_record_or_one_error(messy: MessyLake, kind: str) -> None:
    relation = "scored_lines" if kind == "scored" else "evidence_lines"
    lines = fetch(messy.root, f"SELECT file, line, is_object FROM {relation}")
    nonblank = {(e.file, e.line): e for e in messy.expected if e.kind == kind and e.what != BLANK}
    keys = [(f, n) for f, n, _ in lines]
    assert len(keys) == len(set(keys))
    assert set(keys) == set(nonblank), "the lines relation holds exactly the non-blank lines"
    for f, n, is_object in lines:
        assert is_object == (nonblank[(f, n)].what == OBJ), nonblank[(f, n)].label

    records = (fetch(messy.root, "SELECT file, line FROM scored_runs") if kind == "scored" else
               fetch(messy.root, "SELECT file, line FROM evidence_records WHERE run_id <> ''"))
    all_errors = fetch(messy.root, "SELECT kind, file, line FROM input_errors")
    errors = [(f, n) for k, f, n in all_errors if k == kind]
    assert len(records) == len(set(records))
    assert not set(records) & set(errors), "a line is a record or an error, never both"
    assert set(records) | set(errors) == set(nonblank), "every non-blank line is accounted for"
    assert set(records) == {k for k, e in nonblank.items() if e.what == OBJ}


def test_line_bodies_drop_the_bom_and_one_trailing_cr(messy: MessyLake) -> None:
    rows = fetch(messy.root, "SELECT file, line, body FROM scored_lines UNION ALL "
                             "SELECT file, line, body FROM evidence_lines")
    body = {(f, n): b for f, n, b in rows}
    checked = 0
    for e in messy.expected:
        if e.what in (OBJ, NOT_JSON, NOT_OBJECT):
            assert body[(e.file, e.line)] == e.body.decode("utf-8"), (e.label, e.file, e.line)
            checked += 1
    assert checked > 200


def test_object_lines_are_read_with_their_fields(messy: MessyLake) -> None:
    runs = {(f, n): rid for f, n, rid in
            fetch(messy.root, "SELECT file, line, evidence_run_id FROM scored_runs")}
    records = {(f, n): (rid, text) for f, n, rid, text in
               fetch(messy.root, "SELECT file, line, run_id, text FROM evidence_records")}
    usable = {(f, n, rid) for f, n, rid in fetch(messy.root, "SELECT file, line, run_id FROM evidence")}
    for e in messy.of("scored", OBJ):
        assert runs[(e.file, e.line)] == e.run_id, e.label
    for e in messy.of("evidence", OBJ):
        run_id, text = records[(e.file, e.line)]
        if e.label == "duplicate keys":  # which value is used is unspecified
            assert run_id in (e.run_id, e.run_id + "dup")
        else:
            assert run_id == e.run_id, e.label
        if e.label in TEXTS:
            assert text == TEXTS[e.label], e.label
        assert (e.file, e.line, run_id) in usable, f"{e.label}: a unique run_id is usable evidence"
    long = [e for e in messy.of("evidence", OBJ) if e.label == "long object"]
    assert long and all(records[(e.file, e.line)][1] == "é" * 400 for e in long)


def test_malformed_scored_lines_are_counted_and_quarantined(messy: MessyLake) -> None:
    errors = messy.of("scored", *ERRORS) + messy.of("evidence", *ERRORS)
    records = [e for e in messy.expected if e.kind == "scored" and e.what != BLANK]
    scored_files = {e.file for e in messy.expected if e.kind == "scored"}
    for name in ("rag", "sft", "preference"):
        s = messy.summary[name]
        assert s["input_errors"] == len(errors), name
        assert s["records_read"] == len(records), name
        assert s["scored_files_read"] == len(scored_files) + 3, name  # + the three files without records
    for name in ("rag", "sft"):
        s = messy.summary[name]
        assert s["records_exported"] + s["records_quarantined"] + s["skipped_existing"] == len(records)
        rows = rows_of(messy.root / f"exports/quarantine/{name}.jsonl")
        malformed = {(r["input"]["file"], r["input"]["line"]): r
                     for r in rows if r["reason"] == "schema_violation"}
        want = {(e.file, e.line): e for e in messy.of("scored", *ERRORS)}
        assert set(malformed) == set(want), name
        for key, row in malformed.items():
            assert row["source_record"] == {"_raw": want[key].excerpt}, (name, want[key].label)
            assert row["source_provenance"] is None
            assert row["errors"]


# ---------------------------------------------------------------------------------------
# SPEC section 2.1: evidence keys, last-wins, the type rule
# ---------------------------------------------------------------------------------------

DAY = "2026/04/27/runs.jsonl"


@pytest.fixture(scope="module")
def evidence_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("evidence")
    wp = _partition_writer(root)
    wp("scored", DAY, [scored("dup"), scored("typed")])
    wp("evidence", DAY, [
        evidence("dup", text="first"),                               # 0
        evidence("other", text="other text"),                        # 1
        evidence("dup", text="second"),                              # 2
        "",                                                          # 3
        {"text": "no run id at all"},                                # 4
        {"run_id": "", "text": "empty run id"},                      # 5
        {"run_id": 7, "text": "numeric run id"},                     # 6
        {"run_id": None, "text": "null run id"},                     # 7
        {"run_id": ["dup"], "text": "array run id"},                 # 8
        evidence("dup", text="third and last"),                      # 9
        evidence("other", text=5),                                   # 10: last wins, text reads absent
        '{"run_id": "dup", "text": "broken"',                        # 11: not JSON, cannot win
        '{"run_id": "dup", "text": NaN}',                            # 12: not JSON, cannot win
    ])
    # the same run id in other files: separate evidence, no last-wins across files
    wp("evidence", "2026/04/27/zz-other-file.jsonl", [evidence("dup", text="other file")])
    wp("evidence", "2026/04/28/runs.jsonl", [evidence("dup", text="other day")])
    # an orphan evidence file (no scored partner) still reports its input errors
    wp("evidence", "2026/04/29/orphan.jsonl", [evidence("lonely"), "not json", {"run_id": ""}, [1]])
    # the type rule
    wp("evidence", "2026/04/30/types.jsonl", [
        {"run_id": "t-wrong", "text": 5, "task_id": 7, "model_role": None, "model_name": ["m"],
         "source_files": "crates/a.rs", "retrieved_context": "ctx", "metadata": ["contractor"],
         "provenance": {"source_file": 5}},
        {"run_id": "t-lists", "task_id": "permit:B-1", "text": "", "model_role": "reviewer",
         "source_files": ["", 3, "b"], "retrieved_context": {"matrix_corpora": [1, "m1", None, "m2", ["m3"]],
                                                            "pathway_fingerprints_seen": 3},
         "metadata": {"contractor": "ACME é"}, "provenance": {"source_file": "data/_kb/audits.jsonl"}},
        {"run_id": "t-strings-skipped", "source_files": [3, None, "first-string"],
         "retrieved_context": {"matrix_corpora": "m1"}, "metadata": {"contractor": 5},
         "provenance": "data/_kb/audits.jsonl"},
        {"run_id": "t-empty-lists", "source_files": [], "retrieved_context": {"matrix_corpora": []}},
    ])
    # pathway_fingerprints_seen: only an integer written without fraction/exponent in int64 range
    fingerprints = ["3", "0", "-2", "-0", "3.0", "1e2", "1E2", "30e-1", "9223372036854775807",
                    "-9223372036854775808", "9223372036854775808", "-9223372036854775809",
                    "18446744073709551615", "18446744073709551616", '"3"', "true", "null", "[3]"]
    wp("evidence", "2026/04/30/fingerprints.jsonl", [
        f'{{"run_id": "fp-{i}", "retrieved_context": {{"pathway_fingerprints_seen": {v}}}}}'
        for i, v in enumerate(fingerprints)
    ])
    # the type rule on scored records
    wp("scored", "2026/04/30/types.jsonl", [
        {"evidence_run_id": 7, "evidence_task_id": ["t"], "category": 5, "reasons": ["a", 1, None, "b"],
         "provenance": "p"},
        {"evidence_run_id": "s-ok", "evidence_task_id": "task:x", "category": "accepted", "reasons": "why",
         "provenance": {"source_file": "data/_kb/x.jsonl", "sig_hash": 5}},
    ])
    run_cli("run", "--root", str(root))
    return root


def _partition_writer(root: Path) -> Callable[[str, str, list[Any]], str]:
    def wp(kind: str, rel: str, lines: list[Any]) -> str:
        write_partition(root, KIND_DIR[kind], rel, lines)
        return f"data/{KIND_DIR[kind]}/{rel}"

    return wp


def test_last_line_wins_within_a_file_only(evidence_lake: Path) -> None:
    rows = fetch(evidence_lake,
                 "SELECT file, line, run_id, text FROM evidence WHERE run_id IN ('dup', 'other')")
    got = sorted(rows)
    assert got == sorted([
        (f"data/evidence/{DAY}", 9, "dup", "third and last"),
        (f"data/evidence/{DAY}", 10, "other", None),
        ("data/evidence/2026/04/27/zz-other-file.jsonl", 0, "dup", "other file"),
        ("data/evidence/2026/04/28/runs.jsonl", 0, "dup", "other day"),
    ])


def test_evidence_lines_without_a_string_run_id_are_input_errors(evidence_lake: Path) -> None:
    errors = {(f, n) for k, f, n in fetch(evidence_lake, "SELECT kind, file, line FROM input_errors")
              if k == "evidence"}
    day = f"data/evidence/{DAY}"
    orphan = "data/evidence/2026/04/29/orphan.jsonl"
    assert errors == {(day, 4), (day, 5), (day, 6), (day, 7), (day, 8), (day, 11), (day, 12),
                      (orphan, 1), (orphan, 2), (orphan, 3)}
    scored_errors = [r for r in fetch(evidence_lake, "SELECT kind FROM input_errors") if r[0] != "evidence"]
    assert scored_errors == []
    usable = {(f, n) for f, n in fetch(evidence_lake, "SELECT file, line FROM evidence")}
    assert not usable & errors
    assert (orphan, 0) in usable


def test_excerpt_of_an_evidence_line_without_run_id(evidence_lake: Path) -> None:
    rows = fetch(evidence_lake, f"SELECT line, excerpt FROM input_errors WHERE file = 'data/evidence/{DAY}'")
    raw = (evidence_lake / "data/evidence" / DAY).read_bytes().split(b"\n")
    for line, excerpt in rows:
        assert excerpt == raw[line].decode("utf-8")[:200], line


def test_type_rule_on_evidence_fields(evidence_lake: Path) -> None:
    cols = ("task_id, text, model_role, model_name, source_files, matrix_corpora, "
            "pathway_fingerprints_seen, contractor, provenance_source_file")
    rows = {r[0]: r[1:] for r in fetch(evidence_lake, f"SELECT run_id, {cols} FROM evidence "
                                                      "WHERE run_id LIKE 't-%'")}
    task_id, text, role, name, files, corpora, fp, contractor, source = rows["t-wrong"]
    # absent task_id, model_role, model_name read as the empty string; other fields as absent
    assert (task_id, text, role, name) == ("", None, "", "")
    assert not files and not corpora  # absent (NULL) or an empty list: no first string either way
    assert (fp, contractor, source) == (None, None, None)

    task_id, text, role, name, files, corpora, fp, contractor, source = rows["t-lists"]
    assert (task_id, text, role, name) == ("permit:B-1", "", "reviewer", "")
    assert files == ["", "b"] and files[0] == ""  # the first *string* is the empty string
    assert corpora == ["m1", "m2"]
    assert (fp, contractor, source) == (3, "ACME é", "data/_kb/audits.jsonl")

    _, _, _, _, files, corpora, _, contractor, source = rows["t-strings-skipped"]
    assert files == ["first-string"]
    assert not corpora
    assert (contractor, source) == (None, None)

    _, _, _, _, files, corpora, fp, _, _ = rows["t-empty-lists"]
    assert not files and not corpora and fp is None


def test_pathway_fingerprints_must_be_a_json_integer(evidence_lake: Path) -> None:
    got = dict(fetch(evidence_lake,
                     "SELECT run_id, pathway_fingerprints_seen FROM evidence WHERE run_id LIKE 'fp-%'"))
    want = [3, 0, -2, 0, None, None, None, None, 9223372036854775807, -9223372036854775808,
            None, None, None, None, None, None, None, None]
    assert {f"fp-{i}": v for i, v in enumerate(want)} == got


def test_type_rule_on_scored_fields(evidence_lake: Path) -> None:
    rows = fetch(evidence_lake,
                 "SELECT line, evidence_run_id, evidence_task_id, category, reasons, provenance "
                 "FROM scored_runs WHERE file = 'data/scored-runs/2026/04/30/types.jsonl' ORDER BY line")
    assert [r[:5] for r in rows] == [
        (0, None, None, None, ["a", "b"]),
        (1, "s-ok", "task:x", "accepted", None),
    ]
    assert rows[0][5] is None  # a provenance that is not an object is absent
    assert json.loads(rows[1][5]) == {"source_file": "data/_kb/x.jsonl", "sig_hash": 5}


# ---------------------------------------------------------------------------------------
# SPEC section 1: discovery and pairing
# ---------------------------------------------------------------------------------------

# partitions that are discovered, listed in ascending byte order of the whole relative path
DISCOVERED = [
    "2026/04/10/a.jsonl",
    "2026/04/27-x/a.jsonl",  # '-' (0x2d) sorts before '/' (0x2f)
    "2026/04/27/a.jsonl",
    "2026/04/27/z.jsonl",
    "2026/04/9/a.jsonl",  # "9" after "27": bytes, not numbers
    "abc/de/fgh/B.jsonl",  # upper case before lower case
    "abc/de/fgh/a.jsonl",
    "abc/de/fgh/é.jsonl",  # UTF-8 0xC3 after ASCII
]
IGNORED = [
    "x.jsonl",
    "2026/x.jsonl",
    "2026/04/x.jsonl",
    "2026/04/27/extra/x.jsonl",
    "2026/04/27/b.json",
    "2026/04/27/c.jsonl.bak",
    "2026/04/27/jsonl",
    "2026/04/27/dir.jsonl/x.jsonl",
]


@dataclass
class DiscoveryLake:
    root: Path
    rag: dict[str, Any]
    pairing: dict[str, int]


@pytest.fixture(scope="module")
def discovery(tmp_path_factory: pytest.TempPathFactory) -> DiscoveryLake:
    root = tmp_path_factory.mktemp("discovery")
    wp = _partition_writer(root)
    for i, rel in enumerate(DISCOVERED):
        wp("scored", rel, [scored(f"run-{i}")])
        wp("evidence", rel, [evidence(f"run-{i}")])
    for rel in IGNORED:
        for kind in KIND_DIR:
            wp(kind, rel, ["not json", scored("ignored"), evidence("ignored")])
    for other in ("data/other/2026/04/27/a.jsonl", "data/scored-runs2/2026/04/27/a.jsonl",
                  "data/evidence-old/2026/04/27/a.jsonl", "data/2026/04/27/a.jsonl"):
        (root / other).parent.mkdir(parents=True, exist_ok=True)
        (root / other).write_text("not json\n" + json.dumps(scored("ignored")) + "\n")
    # pairing: scored 2026/04/27/a.jsonl is joined only with evidence 2026/04/27/a.jsonl
    a = "2026/04/27/a.jsonl"
    records = [scored(f"run-{DISCOVERED.index(a)}"), scored("same"), scored("other-day"),
               scored("other-file"), scored("not-discovered"), scored("same-later")]
    wp("scored", a, records)
    wp("evidence", a, [evidence(f"run-{DISCOVERED.index(a)}"), evidence("same"), evidence("same-later")])
    wp("evidence", "2026/04/28/a.jsonl", [evidence("other-day")])  # no scored partner
    wp("evidence", "2026/04/27/z.jsonl", [evidence(f"run-{DISCOVERED.index('2026/04/27/z.jsonl')}"),
                                          evidence("other-file")])
    wp("evidence", "2026/04/27/extra/a.jsonl", [evidence("not-discovered")])
    pairing = {"other-day": 2, "other-file": 3, "not-discovered": 4}

    rag = export_json(root, "export-rag")
    run_cli("run", "--root", str(root))  # after the export: `run` publishes every model's table
    return DiscoveryLake(root, rag, pairing)


def test_discovery_finds_exactly_three_levels_deep_jsonl(discovery: DiscoveryLake) -> None:
    scored_files = {r[0] for r in fetch(discovery.root, "SELECT DISTINCT file FROM scored_lines")}
    assert scored_files == {f"data/scored-runs/{p}" for p in DISCOVERED}
    evidence_files = {r[0] for r in fetch(discovery.root, "SELECT DISTINCT file FROM evidence_lines")}
    assert evidence_files == {f"data/evidence/{p}" for p in DISCOVERED} | {"data/evidence/2026/04/28/a.jsonl"}
    # nothing from the ignored files: they all start with a line that is not JSON
    assert fetch(discovery.root, "SELECT count(*) FROM input_errors") == [(0,)]
    assert discovery.rag["scored_files_read"] == len(DISCOVERED)
    assert discovery.rag["input_errors"] == 0


def test_files_are_processed_in_byte_order_of_the_relative_path(discovery: DiscoveryLake) -> None:
    assert DISCOVERED == sorted(DISCOVERED, key=lambda p: f"data/scored-runs/{p}".encode())
    rows = rows_of(discovery.root / "exports/rag/playbooks.jsonl")
    want = []
    for i, rel in enumerate(DISCOVERED):
        want.append(f"run-{i}")
        if rel == "2026/04/27/a.jsonl":
            want += ["same", "same-later"]
    assert [r["source_run_id"] for r in rows] == want


def test_scored_runs_join_only_evidence_with_the_same_relative_path(discovery: DiscoveryLake) -> None:
    rag = discovery.rag
    assert rag["quarantine_by_reason"] == {"missing_source_run_id": len(discovery.pairing)}
    assert rag["records_exported"] == len(DISCOVERED) + 2
    rows = rows_of(discovery.root / "exports/quarantine/rag.jsonl")
    got = {r["input"]["line"]: r for r in rows}
    assert set(got) == set(discovery.pairing.values())
    for run_id, line in discovery.pairing.items():
        row = got[line]
        assert row["reason"] == "missing_source_run_id"
        assert row["input"]["file"] == "data/scored-runs/2026/04/27/a.jsonl"
        assert row["source_record"]["evidence_run_id"] == run_id


def test_missing_scored_runs_directory_is_zero_rows(tmp_path: Path) -> None:
    root = tmp_path / "lake"
    _partition_writer(root)("evidence", "2026/04/27/a.jsonl", [evidence("e1"), "not json"])
    run_cli("run", "--root", str(root))
    assert fetch(root, "SELECT count(*) FROM scored_lines") == [(0,)]
    assert fetch(root, "SELECT count(*) FROM scored_runs") == [(0,)]
    assert fetch(root, "SELECT run_id FROM evidence") == [("e1",)]
    assert fetch(root, "SELECT kind, file, line FROM input_errors") == [
        ("evidence", "data/evidence/2026/04/27/a.jsonl", 1)]
    summary = export_json(root)
    for name in ("rag", "sft", "preference"):
        s = summary[name]
        assert (s["scored_files_read"], s["records_read"], s["records_exported"], s["records_quarantined"],
                s["input_errors"]) == (0, 0, 0, 0, 1), name
    for name in ("rag", "sft", "preference"):
        assert rows_of(root / f"exports/quarantine/{name}.jsonl") == []


# ---------------------------------------------------------------------------------------
# the root: odd characters, LH_DISTILL_ROOT, bad roots
# ---------------------------------------------------------------------------------------


def test_root_with_quotes_spaces_and_non_ascii(tmp_path: Path) -> None:
    name = "it's a \"lake\" é 湖"
    root = tmp_path / name
    wp = _partition_writer(root)
    rel = "2026/04/27/o'brien \"q\" é.jsonl"
    sfile = wp("scored", rel, [scored("r1"), "not json", "", scored("r2", category="rejected")])
    efile = wp("evidence", rel, [evidence("r1"), {"text": "no id"}, evidence("r2")])

    # a relative --root, resolved against the working directory
    p = cli_in(tmp_path, "run", "--root", name)
    assert p.returncode == 0, p.stderr
    assert fetch(root, "SELECT DISTINCT file FROM scored_runs") == [(sfile,)]
    assert fetch(root, "SELECT file, run_id FROM evidence ORDER BY run_id") == [(efile, "r1"), (efile, "r2")]
    assert sorted(fetch(root, "SELECT kind, file, line, excerpt FROM input_errors")) == [
        ("evidence", efile, 1, '{"text": "no id"}'), ("scored", sfile, 1, "not json")]

    summary = export_json(root)
    assert summary["rag"]["records_read"] == 3
    assert summary["rag"]["records_exported"] == 1
    assert summary["rag"]["input_errors"] == 2
    assert summary["sft"]["records_exported"] == 1
    rows = rows_of(root / "exports/quarantine/rag.jsonl")
    assert sorted((r["input"]["file"], r["input"]["line"], r["reason"]) for r in rows) == [
        (sfile, 1, "schema_violation"), (sfile, 3, "category_disallowed")]
    assert [r["source_run_id"] for r in rows_of(root / "exports/rag/playbooks.jsonl")] == ["r1"]
    sft = rows_of(root / "exports/sft/instruction_response.jsonl")
    assert [(r["source_run_id"], r["created_at"]) for r in sft] == [("r1", RECORDED_AT)]


def _env(**changes: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "LH_DISTILL_ROOT"}
    env.update({k: v for k, v in changes.items() if v is not None})
    return env


def test_lh_distill_root_is_used_without_root(tmp_path: Path) -> None:
    root, cwd = tmp_path / "lake", tmp_path / "cwd"
    cwd.mkdir()
    wp = _partition_writer(root)
    wp("scored", "2026/04/27/a.jsonl", [scored("r1")])
    wp("evidence", "2026/04/27/a.jsonl", [evidence("r1")])

    p = cli_in(cwd, "export-rag", "--recorded-at", RECORDED_AT, "--json", env=_env(LH_DISTILL_ROOT=str(root)))
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["records_exported"] == 1
    assert len(rows_of(root / "exports/rag/playbooks.jsonl")) == 1
    assert list(cwd.iterdir()) == [], "nothing may be written to the working directory"

    # --root wins over the environment variable
    p = cli_in(cwd, "run", "--root", str(root), env=_env(LH_DISTILL_ROOT=str(tmp_path / "nowhere")))
    assert p.returncode == 0, p.stderr
    assert fetch(root, "SELECT evidence_run_id FROM scored_runs") == [("r1",)]
    assert list(cwd.iterdir()) == []


def test_a_bad_root_is_a_usage_error(tmp_path: Path) -> None:
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    a_file = tmp_path / "file.txt"
    a_file.write_text("not a directory\n")
    before = snapshot(tmp_path), sorted(tmp_path.rglob("*"))
    for args, env in [
        (("export-all", "--root", str(tmp_path / "missing"), "--json"), _env()),
        (("export-rag", "--json"), _env(LH_DISTILL_ROOT=str(tmp_path / "missing"))),
        (("export-sft", "--root", str(a_file)), _env()),
        (("run",), _env(LH_DISTILL_ROOT=str(a_file))),
    ]:
        p = cli_in(cwd, *args, env=env)
        assert_usage_error(p)
        assert p.stdout == ""
    assert (snapshot(tmp_path), sorted(tmp_path.rglob("*"))) == before
    assert not (tmp_path / "missing").exists()


def test_partition_names_with_glob_characters_are_read_literally(lakehouse: Path) -> None:
    """SPEC 1: each discovered file is read once, as itself. `b*.jsonl` is a file name, not
    a pattern that also matches `bx.jsonl`; `a[1].jsonl` is not `a1.jsonl`."""
    wp = _partition_writer(lakehouse)
    names = ["a1.jsonl", "a[1].jsonl", "b*.jsonl", "bx.jsonl", "c?.jsonl", "cd.jsonl"]
    for name in names:
        wp("scored", f"2026/04/27/{name}", [scored(f"run {name}"), "not json"])
        wp("evidence", f"2026/04/27/{name}", [evidence(f"run {name}")])
    rag = export_json(lakehouse, "export-rag")
    assert rag["scored_files_read"] == len(names)
    assert rag["records_read"] == 2 * len(names)
    assert rag["input_errors"] == len(names)
    assert rag["quarantine_by_reason"] == {"schema_violation": len(names)}
    in_byte_order = sorted(names, key=lambda n: n.encode())
    assert [r["source_run_id"] for r in rows_of(lakehouse / "exports/rag/playbooks.jsonl")] == [
        f"run {n}" for n in in_byte_order]
    quarantined = rows_of(lakehouse / "exports/quarantine/rag.jsonl")
    assert sorted(r["input"]["file"] for r in quarantined) == sorted(
        f"data/scored-runs/2026/04/27/{n}" for n in names)


def test_root_with_glob_characters_reads_only_its_own_files(tmp_path: Path) -> None:
    """A root named `lake * [1]` must not read the lakehouse next to it (`lake X 1`)."""
    root, sibling = tmp_path / "lake * [1]", tmp_path / "lake X 1"
    for lake, run_id in ((root, "mine"), (sibling, "theirs")):
        wp = _partition_writer(lake)
        wp("scored", "2026/04/27/a.jsonl", [scored(run_id)])
        wp("evidence", "2026/04/27/a.jsonl", [evidence(run_id)])
    wp("scored", "2026/04/27/a.jsonl", [scored("theirs"), "not json", "not json"])  # the sibling's
    rag = export_json(root, "export-rag")
    assert (rag["records_read"], rag["records_exported"], rag["input_errors"]) == (1, 1, 0)
    assert [r["source_run_id"] for r in rows_of(root / "exports/rag/playbooks.jsonl")] == ["mine"]
    assert not (sibling / "exports").exists()


def test_root_with_a_question_mark(tmp_path: Path) -> None:
    """SPEC 1/10: any directory can be the root; the warehouse is written inside it."""
    root = tmp_path / "lake?v=1"
    wp = _partition_writer(root)
    wp("scored", "2026/04/27/a.jsonl", [scored("r1"), "not json"])
    wp("evidence", "2026/04/27/a.jsonl", [evidence("r1")])
    p = run_cli("run", "--root", str(root), check=False)
    assert p.returncode == 0, p.stderr
    assert fetch(root, "SELECT kind, file, line FROM input_errors") == [
        ("scored", "data/scored-runs/2026/04/27/a.jsonl", 1)]
    p = run_cli("export-all", "--root", str(root), "--recorded-at", RECORDED_AT, "--json", check=False)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["rag"]["records_exported"] == 1
