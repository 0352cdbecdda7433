"""Hostile input (SPEC 1, 3, 3.1, 7): whatever bytes the partitions hold, a run never crashes,
every non-blank scored line is accounted for, and the firewall holds.

Expectations are computed here from SPEC section 1, not from the implementation: a file is
split on "\\n", one trailing "\\r" is removed per line, a file-start UTF-8 BOM is ignored,
and a line is blank when it is valid UTF-8 made only of JavaScript trim whitespace.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from bench.baseline import physical_records
from tests.conftest import RECORDED_AT, evidence, examples, run_cli, scored

SCORED_A = "2026/04/27/fuzz.jsonl"
SCORED_B = "2026/04/28/other.jsonl"  # no evidence file pairs with it
OUTPUTS = {
    "rag": "exports/rag/playbooks.jsonl",
    "sft": "exports/sft/instruction_response.jsonl",
    "preference": "exports/preference/chosen_rejected.jsonl",
}
QUARANTINE = {name: f"exports/quarantine/{name}.jsonl" for name in OUTPUTS}
# SPEC section 1: the String.prototype.trim set
JS_WHITESPACE = frozenset(
    "\t\n\x0b\x0c\r \xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B)))
    + "\u2028\u2029\u202f\u205f\u3000\ufeff"
)
BOM = b"\xef\xbb\xbf"
SFT_NEVER = frozenset({"rejected", "needs_human_review"})
RUN_IDS = ("r0", "r1", "r2", "r3", "r4", "é\u2028", "")
CATEGORIES = ("accepted", "partially_accepted", "rejected", "needs_human_review")


# -- the independent reading of SPEC section 1 ----------------------------------------------

def record_lines(data: bytes) -> list[tuple[int, bytes]]:
    """(0-based physical line, bytes) of every non-blank line of a partition file (a line
    that is not UTF-8 is a record that is not JSON), read by the per-line Python yardstick
    of the benchmarks, not by distill-duck."""
    return [(n, raw) for n, raw, _text in physical_records(data)]


class Pairs(list[tuple[str, Any]]):
    """A parsed JSON object with every key/value pair kept, duplicates included."""

    def all(self, key: str) -> list[Any]:
        return [v for k, v in self if k == key]

    def unique(self) -> bool:
        return len({k for k, _ in self}) == len(self)


def _reject_constant(name: str) -> Any:
    raise ValueError(name)


def _has_lone_surrogate(v: Any) -> bool:
    if isinstance(v, str):
        return any(0xD800 <= ord(c) <= 0xDFFF for c in v)
    if isinstance(v, Pairs):  # before list: Pairs is one
        return any(_has_lone_surrogate(k) or _has_lone_surrogate(x) for k, x in v)
    if isinstance(v, list):
        return any(_has_lone_surrogate(x) for x in v)
    return False


def parse(line: bytes, strict: bool) -> Pairs | None:
    """The line as a JSON object, or None. ``strict``: RFC 8259 as SPEC 1 reads it (no
    NaN/Infinity, no lone surrogates, only space/tab/CR/LF around the value)."""
    try:
        text = line.decode("utf-8")
        value = json.loads(text, object_pairs_hook=Pairs,
                           **({"parse_constant": _reject_constant} if strict else {}))
    except (ValueError, RecursionError):
        return None
    if not isinstance(value, Pairs):
        return None
    if strict and _has_lone_surrogate(value):
        return None
    return value


def sha16(seed: str) -> str:
    return hashlib.sha256(seed.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def ids_of(rec: Pairs, prefix: str) -> set[str]:
    """Every id ``prefix-hash(evidence_run_id|sig_hash)`` any reading of the record gives."""
    runs = [r for r in rec.all("evidence_run_id") if isinstance(r, str) and r]
    sigs = [s for p in rec.all("provenance") if isinstance(p, Pairs) for s in p.all("sig_hash")
            if isinstance(s, str)]
    return {f"{prefix}-{sha16(f'{r}|{s}')}" for r in runs for s in sigs}


def firewall_ids(lines: Iterable[bytes], prefix: str, allowed: frozenset[str]) -> set[str]:
    """Ids that only records of a category outside ``allowed`` can produce: such a record
    never becomes a row (SPEC 4 and 5 gates). Ids that any reading of any line (repeated keys,
    lenient parsing) could give an allowed record are left out."""
    forbidden, maybe_allowed = set(), set()
    for line in lines:
        loose = parse(line.replace(DEEP.encode(), b"[]"), strict=False)
        if loose is None:
            continue
        if any(isinstance(c, str) and c in allowed for c in loose.all("category")):
            maybe_allowed |= ids_of(loose, prefix)
        strict = parse(line, strict=True)
        if strict is None or not strict.unique():
            continue
        if any(not p.unique() for p in strict.all("provenance") if isinstance(p, Pairs)):
            continue
        category = (strict.all("category") or [None])[0]
        if not (isinstance(category, str) and category in allowed):
            forbidden |= ids_of(strict, prefix)
    return forbidden - maybe_allowed


# -- generating hostile JSON text ------------------------------------------------------------

@dataclass(frozen=True)
class Raw:
    """JSON text written as is: 1e400, NaN, a lone surrogate escape, deep nesting..."""

    text: str


class Obj(tuple[tuple[str, Any], ...]):
    """An object as key/value pairs, so that keys can repeat."""


def dump(v: Any, sep: str = "") -> str:
    if isinstance(v, Raw):
        return v.text
    if isinstance(v, Obj):
        return "{" + ",".join(f"{sep}{json.dumps(k, ensure_ascii=False)}{sep}:{sep}{dump(x, sep)}"
                              for k, x in v) + sep + "}"
    if isinstance(v, list):
        return "[" + ",".join(dump(x, sep) for x in v) + "]"
    return json.dumps(v, ensure_ascii=False)


ABSENT = object()
DEEP = "[" * 10_000 + "]" * 10_000
SPECIAL_VALUES = [
    Raw("1e400"), Raw("-1e400"), Raw("1" * 100), Raw("-" + "9" * 100), Raw("-0"), Raw("1E+2"), Raw("0.0"),
    Raw("NaN"), Raw("Infinity"), Raw("-Infinity"), Raw('"\\ud800"'), Raw('"a\\udc00b"'),
    Raw('"\\ud83d\\ude00"'), Raw(DEEP), Raw('"\\u0000\\u001f"'), Raw('"\u2028\u2029\ufeff"'),
]
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(10 ** 100), 10 ** 100),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=8), st.sampled_from(SPECIAL_VALUES),
)
junk = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.builds(Obj, st.lists(st.tuples(st.text(max_size=4), inner),
                                                                          max_size=3)),
    max_leaves=6,
)


def field(good: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly (8 in 10) the right type; else a wrong type or hostile value, or absent."""
    @st.composite
    def pick(draw: st.DrawFn) -> Any:
        roll = draw(st.integers(0, 9))
        return draw(good) if roll < 8 else draw(junk) if roll == 8 else ABSENT

    return pick()


def obj(fields: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[Obj]:
    @st.composite
    def build(draw: st.DrawFn) -> Obj:
        pairs = [(k, draw(s)) for k, s in fields.items()]
        pairs = [(k, v) for k, v in pairs if v is not ABSENT]
        if pairs and draw(st.booleans()):
            pairs = draw(st.permutations(pairs))
        if draw(st.integers(0, 4)) == 0:  # a repeated key
            key = draw(st.sampled_from(list(fields)))
            pairs.insert(draw(st.integers(0, len(pairs))), (key, draw(fields[key])))
        return Obj(p for p in pairs if p[1] is not ABSENT)

    return build()


provenance = obj({
    "source_file": field(st.sampled_from(["data/_kb/scrum_reviews.jsonl", "data/_kb/audits.jsonl", " "])),
    "line_offset": field(st.integers(0, 5)),
    "sig_hash": field(st.sampled_from(["s1", "s2", "s3", "s4", "s5", "s6", "", "\u00a0"])),
    "recorded_at": field(st.just("2026-04-26T10:00:00Z")),
})
scored_record = obj({
    "evidence_run_id": field(st.sampled_from(RUN_IDS)),
    "evidence_task_id": field(st.sampled_from(["t1", "t2", "phase:p3"])),
    "category": field(st.sampled_from(CATEGORIES + ("Accepted", "accepted ", ""))),
    "reasons": field(st.lists(st.text(max_size=6), max_size=2)),
    "provenance": field(provenance),
})
evidence_record = obj({
    "run_id": field(st.sampled_from(RUN_IDS)),
    "task_id": field(st.sampled_from(["t1", "t2", "phase:p3"])),
    "text": field(st.sampled_from(["# Finding\nbody", "same", " \u2028 ", "", "\u00e9\u2028x\r\nline"])),
    "model_role": field(st.sampled_from(["executor", "reviewer", "applier", "extractor"])),
    "model_name": field(st.sampled_from(["m", ""])),
    "source_files": field(st.lists(st.sampled_from(["a.rs", "", "b/c.rs"]), max_size=2)),
    "retrieved_context": field(obj({"matrix_corpora": field(st.lists(st.text(max_size=3), max_size=2)),
                                    "pathway_fingerprints_seen": field(st.integers(-1, 3))})),
    "metadata": field(obj({"contractor": field(st.text(max_size=5))})),
    "provenance": field(provenance),
})
# well-formed records (a repeated key now and then) so that the firewall has rows to guard
clean_provenance = obj({
    "source_file": st.sampled_from(["data/_kb/scrum_reviews.jsonl", "data/_kb/audits.jsonl"]),
    "line_offset": st.integers(0, 5),
    "sig_hash": st.sampled_from(["s1", "s2", "s3", "s4", "s5", "s6"]),
})
clean_scored = obj({
    "evidence_run_id": st.sampled_from(RUN_IDS[:-1]),
    "evidence_task_id": st.sampled_from(["t1", "t2"]),
    "category": st.sampled_from(CATEGORIES),
    "provenance": clean_provenance,
})
clean_evidence = obj({
    "run_id": st.sampled_from(RUN_IDS[:-1]),
    "task_id": st.sampled_from(["t1", "t2"]),
    "text": st.sampled_from(["# New\nbody", "other \u2028 text", "same"]),
    "model_role": st.sampled_from(["executor", "reviewer"]),
    "provenance": clean_provenance,
})
FIXED_HOSTILE = [
    DEEP, '{"a":' + DEEP + "}", "NaN", "[1e400]", "1e400", "1" * 100, "null", "[]", '""', "{}",
    '{"a":1}{"b":2}', '{"category":"accepted"', "{'a': 1}", '{"a":1,}', "\ufeff{}", "{}\u2028",
    "\u00a0{}", "\u200b", "\u0085", "\x1c", "{} /* c */", '{"category":"accepted"} x',
    '{"evidence_run_id":"r0","category":"accepted","provenance":{"source_file":"f","sig_hash":"\\ud800"}}',
]
whitespace_line = st.text(alphabet=sorted(JS_WHITESPACE - {"\n"}), max_size=4)


def text_line(record: st.SearchStrategy[Obj], clean: st.SearchStrategy[Obj]) -> st.SearchStrategy[bytes]:
    sep = st.sampled_from(["", "", "", " ", "\t", "\r", "\u00a0"])  # NBSP: not JSON whitespace
    as_text = st.one_of(st.builds(dump, clean), st.builds(dump, record, sep))
    wrapped = st.builds(lambda pre, body, post: pre + body + post,
                        st.sampled_from(["", " ", "\t", "\u2028", "\ufeff"]), as_text,
                        st.sampled_from(["", " ", "\r", "\u3000", "\n"]))
    hostile = st.one_of(st.sampled_from(FIXED_HOSTILE), whitespace_line, st.text(max_size=12))

    @st.composite
    def pick(draw: st.DrawFn) -> bytes:
        roll = draw(st.integers(0, 19))
        if roll >= 18:
            return draw(st.binary(max_size=40))
        line = draw(as_text if roll < 12 else wrapped if roll < 14 else hostile)
        return line.encode("utf-8", "surrogatepass")

    return pick()


@st.composite
def partition(draw: st.DrawFn, record: st.SearchStrategy[Obj], clean: st.SearchStrategy[Obj],
              max_lines: int = 12) -> bytes:
    lines = draw(st.lists(text_line(record, clean), max_size=max_lines))
    ends = [draw(st.sampled_from([b"\n", b"\n", b"\r\n"])) for _ in lines]
    data = b"".join(line + end for line, end in zip(lines, ends, strict=True))
    if data and draw(st.booleans()):
        data = data.rstrip(b"\n")  # no final newline
    return (BOM if draw(st.booleans()) else b"") + data


def good_lines(records: Sequence[dict[str, Any]]) -> bytes:
    return b"".join(json.dumps(r, ensure_ascii=False).encode() + b"\n" for r in records)


# -- running and checking --------------------------------------------------------------------

def write(root: Path, kind: str, rel: str, data: bytes) -> None:
    path = root / "data" / kind / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def export(root: Path, *flags: str, memory_limit: str | None = None
           ) -> tuple[subprocess.CompletedProcess[str], dict[str, Any] | None]:
    env = dict(os.environ)
    if memory_limit:
        env["DISTILL_DUCK_MEMORY_LIMIT"] = memory_limit
    p = run_cli("export-all", "--root", str(root), "--recorded-at", RECORDED_AT, "--json", *flags,
                check=False, env=env)
    try:
        return p, json.loads(p.stdout)
    except ValueError:
        return p, None


def output_rows(root: Path, rel: str) -> list[dict[str, Any]]:
    path = root / rel
    if not path.exists():
        return []
    data = path.read_bytes()
    assert data == b"" or data.endswith(b"\n"), f"{rel} has a torn last line"
    rows = []
    for n, line in enumerate(data.split(b"\n")[:-1]):
        line = line.replace(DEEP.encode(), b"[]")  # deeper than Python's json recursion limit
        row = parse(line, strict=True)
        assert row is not None and row.unique(), f"{rel}:{n} is not a strict JSON object: {line[:200]!r}"
        rows.append(json.loads(line))
    return rows


def check_run(root: Path, include_review: bool = False, include_partial: bool = False,
              memory_limit: str | None = None) -> dict[str, Any]:
    """Run export-all on a fresh root and check crash-freedom, accounting and the firewall."""
    flags = ["--include-review"] * include_review + ["--include-partial"] * include_partial
    p, summary = export(root, *flags, memory_limit=memory_limit)
    assert p.returncode == 0, f"export-all exited {p.returncode}: {p.stderr[-3000:]}"
    assert summary is not None, f"stdout is not one JSON object: {p.stdout[:500]!r}"

    scored_files = sorted((root / "data" / "scored-runs").rglob("*.jsonl"))
    records: dict[tuple[str, int], bytes] = {}
    for path in scored_files:
        rel = path.relative_to(root).as_posix()
        for n, line in record_lines(path.read_bytes()):
            records[(rel, n)] = line

    for name in ("rag", "sft", "preference"):
        s = summary[name]
        assert s["records_read"] == len(records), (name, s, len(records))
        assert s["skipped_existing"] == 0, (name, s)
    for name in ("rag", "sft"):
        s = summary[name]
        total = s["records_exported"] + s["records_quarantined"] + s["skipped_existing"]
        assert total == s["records_read"], s
        rows, quarantined = output_rows(root, OUTPUTS[name]), output_rows(root, QUARANTINE[name])
        assert len(rows) == s["records_exported"], (name, len(rows), s)
        assert len(quarantined) == s["records_quarantined"], (name, len(quarantined), s)
        # each quarantined record once, at the location of a non-blank line (SPEC 3.1)
        where = [(q["input"]["file"], q["input"]["line"]) for q in quarantined]
        assert len(set(where)) == len(where), f"{name}: a record quarantined twice"
        assert set(where) <= set(records), f"{name}: quarantined lines that are not records: " \
            f"{sorted(set(where) - set(records))}"
    output_rows(root, OUTPUTS["preference"])
    output_rows(root, QUARANTINE["preference"])

    # the firewall, on the rows ...
    rag = output_rows(root, OUTPUTS["rag"])
    sft = output_rows(root, OUTPUTS["sft"])
    rag_allowed = frozenset({"accepted", "partially_accepted"} | {"needs_human_review"} if include_review
                            else {"accepted", "partially_accepted"})
    sft_allowed = frozenset({"accepted", "partially_accepted"} if include_partial else {"accepted"})
    assert all(r["success_score"] in rag_allowed for r in rag), [r["success_score"] for r in rag]
    assert all(r["quality_score"] in sft_allowed for r in sft), [r["quality_score"] for r in sft]
    # ... and on the records: an id only a forbidden record can produce is never exported
    forbidden_rag = firewall_ids(records.values(), "rag", rag_allowed)
    forbidden_sft = firewall_ids(records.values(), "sft", sft_allowed)
    assert not forbidden_rag & {r["id"] for r in rag}
    assert not forbidden_sft & {r["id"] for r in sft}
    return summary


# a base of well-formed records so that rows are exported, not only quarantined
BASE_SCORED = [
    scored("r0", "accepted", task="t1", sig="s1"), scored("r1", "rejected", task="t1", sig="s1"),
    scored("r2", "needs_human_review", task="t1", sig="s2"),
    scored("r3", "partially_accepted", task="t2", sig="s3"),
]
BASE_EVIDENCE = [
    evidence("r0", text="# A\nfirst"), evidence("r1", text="# B\nsecond"), evidence("r2", text="# C"),
    evidence("r3", text="# D\nfourth", role="reviewer"), evidence("r4", text="x", role="applier"),
    evidence("é\u2028", text="# E\u2028\nfifth"),
]


# every example is a subprocess run: no shrinking (it would take many minutes); a failure is
# reported with the example as generated
@pytest.mark.slow
@settings(max_examples=examples(10), deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(scored_a=partition(scored_record, clean_scored), scored_b=partition(scored_record, clean_scored, 4),
       evidence_a=partition(evidence_record, clean_evidence), include_review=st.booleans(),
       include_partial=st.booleans())
def test_hostile_partitions_never_crash_and_lose_nothing(
    scored_a: bytes, scored_b: bytes, evidence_a: bytes, include_review: bool, include_partial: bool
) -> None:
    with tempfile.TemporaryDirectory(prefix="distill-duck-fuzz-") as tmp:
        root = Path(tmp)
        # the generated bytes start the files (a BOM stays at the start); good scored lines
        # come after them, good evidence before (the last line of a run_id wins)
        write(root, "scored-runs", SCORED_A, scored_a + b"\n" + good_lines(BASE_SCORED))
        write(root, "scored-runs", SCORED_B, scored_b)
        write(root, "evidence", SCORED_A, good_lines(BASE_EVIDENCE) + evidence_a)
        check_run(root, include_review, include_partial)


def test_record_lines_follows_spec_section_1() -> None:
    """The independent reading the fuzz test relies on."""
    data = BOM + b'{"a":1}\r\n\r\n \t\xe2\x80\xa8\r\n\xff\n\xe2\x80\x8b\n\xef\xbb\xbf\n{}\r\r\n\x0b'
    assert record_lines(data) == [(0, b'{"a":1}'), (3, b"\xff"), (4, b"\xe2\x80\x8b"), (6, b"{}\r")]
    assert parse(b'{"a":"\\ud800"}', strict=True) is None
    assert parse(b'{"a":NaN}', strict=True) is None
    assert parse(b'{"a":1,"a":2}', strict=True) == [("a", 1), ("a", 2)]


def big_lake(root: Path, size: int) -> None:
    """Scored and evidence lines of ``size`` bytes: a record that exports, and garbage."""
    text = "# Big\n" + "x" * size
    write(root, "scored-runs", SCORED_A, good_lines([
        scored("big", "accepted", task="t1", sig="sb", reasons=["r" * size]),
        scored("r0", "accepted", task="t1", sig="s1"),
    ]) + b"{" + b"y" * size + b"\n" + b'["' + b"z" * size + b'"]\n')
    write(root, "evidence", SCORED_A, good_lines([evidence("big", text=text), evidence("r0")]))


@pytest.mark.slow
def test_ten_megabyte_lines_are_accounted_for(tmp_path: Path) -> None:
    big_lake(tmp_path, 10 * 1024 * 1024)
    s = check_run(tmp_path)
    assert s["rag"]["records_read"] == 4
    assert s["rag"]["records_exported"] == 2 and s["sft"]["records_exported"] == 2
    assert s["rag"]["quarantine_by_reason"] == {"schema_violation": 2}
    rag = output_rows(tmp_path, OUTPUTS["rag"])
    assert len(rag[0]["content"]) == 10 * 1024 * 1024 + 6


@pytest.mark.slow
def test_lines_over_duckdb_object_size_limit_are_accounted_for(tmp_path: Path) -> None:
    """20 MB lines: beyond DuckDB's default maximum_object_size (16 MB) of read_json. Each
    JSON function holds its own parse of a line until the chunk is done, so lines this long
    need more than the default memory_limit (see the next test for what a user is told)."""
    big_lake(tmp_path, 20 * 1024 * 1024)
    s = check_run(tmp_path, memory_limit="2500MB")
    assert s["sft"]["records_read"] == 4
    assert s["rag"]["records_exported"] == 2 and s["sft"]["records_exported"] == 2
    assert s["sft"]["quarantine_by_reason"] == {"schema_violation": 2}
    sft = output_rows(tmp_path, OUTPUTS["sft"])
    assert len(sft[0]["response"]) == 20 * 1024 * 1024 + 6


@pytest.mark.slow
def test_running_out_of_memory_names_the_setting_and_changes_nothing(tmp_path: Path) -> None:
    big_lake(tmp_path, 20 * 1024 * 1024)
    p, summary = export(tmp_path, memory_limit="300MB")
    assert p.returncode == 3 and summary is None  # SPEC 11: the machine could not do it
    message = p.stderr.strip()
    assert "\n" not in message and "ran out of memory" in message
    assert "DISTILL_DUCK_MEMORY_LIMIT" in message and "286.1 MiB" in message
    assert not (tmp_path / "exports").exists() and not (tmp_path / "warehouse.duckdb").exists()
    # the fix the message names works
    assert check_run(tmp_path, memory_limit="2500MB")["rag"]["records_read"] == 4
