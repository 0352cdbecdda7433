"""RAG and SFT gates (SPEC 3, 3.1, 4, 5, 8, 11): one small lakehouse per gate / reason, the
first failing gate decides, and the rows are synthesised exactly as SPEC describes.

Every expected value below is derived from SPEC.md by hand, never from the implementation.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.conftest import RECORDED_AT, evidence, export_json, scored, write_partition

REL = "2026/04/27/scrum_reviews.jsonl"
SCORED_FILE = f"data/scored-runs/{REL}"
RAG_OUT = "exports/rag/playbooks.jsonl"
SFT_OUT = "exports/sft/instruction_response.jsonl"
PREF_OUT = "exports/preference/chosen_rejected.jsonl"
QUARANTINE = {x: f"exports/quarantine/{x}.jsonl" for x in ("rag", "sft", "preference")}
Q_KEYS = ["id", "exporter", "reason", "errors", "input", "source_record", "source_provenance", "recorded_at"]
REASONS = {
    "missing_provenance", "missing_source_run_id", "empty_content", "schema_violation",
    "unsafe_sft_category", "unsafe_rag_category", "invalid_preference_pairing",
    "hallucinated_file_path", "duplicate_id", "self_pairing", "category_disallowed",
}
# SPEC 1: the JavaScript String.prototype.trim set
JS_WHITESPACE = ("\t\n\x0b\x0c\r \u00a0\u1680" + "".join(chr(c) for c in range(0x2000, 0x200B))
                 + "\u2028\u2029\u202f\u205f\u3000\ufeff")
DOT = " \u00b7 "
SCRUM = ("Review the file '{}' against the PRD + change-proposal context. "
         "Produce a forensic audit with findings, severity, confidence, patches.")


def h16(seed: str) -> str:
    return hashlib.sha256(seed.encode("utf-8")).hexdigest()[:16]


def qid(exporter: str, reason: str, file: str, line: int, extra: str = "") -> str:
    return "q-" + h16(f"{exporter}|{reason}|{file}|{line}|{extra}")


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def ev(run_id: str, drop: tuple[str, ...] = (), **kw: Any) -> dict[str, Any]:
    """An evidence record (conftest builder) with some keys removed."""
    rec = evidence(run_id, **kw)
    for key in drop:
        rec.pop(key, None)
    return rec


def sc(run_id: str, category: str = "accepted", drop: tuple[str, ...] = (), **kw: Any) -> dict[str, Any]:
    rec = scored(run_id, category, **kw)
    for key in drop:
        rec.pop(key, None)
    return rec


@dataclass
class Run:
    root: Path
    summary: dict[str, Any]

    def lines(self, rel: str) -> list[str]:
        p = self.root / rel
        if not p.exists():
            return []
        data = p.read_bytes().decode("utf-8")
        assert data == "" or data.endswith("\n"), f"{rel} must end with a newline"
        return data.split("\n")[:-1]

    def rows(self, rel: str) -> list[dict[str, Any]]:
        # not conftest.read_jsonl: str.splitlines() would also split on U+2028 / U+2029 / \x1c...
        return [json.loads(line) for line in self.lines(rel)]

    @property
    def rag(self) -> list[dict[str, Any]]:
        return self.rows(RAG_OUT)

    @property
    def sft(self) -> list[dict[str, Any]]:
        return self.rows(SFT_OUT)

    def q(self, exporter: str) -> list[dict[str, Any]]:
        return self.rows(QUARANTINE[exporter])

    def q_at(self, exporter: str, line: int, file: str = SCORED_FILE) -> dict[str, Any]:
        found = [r for r in self.q(exporter) if r["input"] == {"file": file, "line": line}]
        assert len(found) == 1, f"expected one {exporter} quarantine row for {file}:{line}, got {found}"
        return found[0]


def export(root: Path, scored_lines: list[Any], evidence_lines: list[Any], *flags: str,
           rel: str = REL, command: str = "export-all") -> Run:
    write_partition(root, "scored-runs", rel, scored_lines)
    if evidence_lines:
        write_partition(root, "evidence", rel, evidence_lines)
    return Run(root, export_json(root, command, *flags))


def check_q(row: dict[str, Any], exporter: str, reason: str, line: int, source_record: Any,
            source_provenance: Any, file: str = SCORED_FILE) -> None:
    """A quarantine row exactly as SPEC 3.1 says (errors: present, wording free)."""
    assert list(row) == Q_KEYS
    assert isinstance(row["errors"], list) and row["errors"]
    assert all(isinstance(e, str) and e.strip() for e in row["errors"])
    assert {k: v for k, v in row.items() if k != "errors"} == {
        "id": qid(exporter, reason, file, line),
        "exporter": exporter,
        "reason": reason,
        "input": {"file": file, "line": line},
        "source_record": source_record,
        "source_provenance": source_provenance,
        "recorded_at": RECORDED_AT,
    }


def check_accounting(summary: dict[str, Any]) -> None:
    for name in ("rag", "sft"):
        s = summary[name]
        assert s["records_exported"] + s["records_quarantined"] + s["skipped_existing"] == s["records_read"]
        by_reason = s["quarantine_by_reason"]
        assert list(by_reason) == sorted(by_reason)
        assert all(n > 0 for n in by_reason.values())
        assert sum(by_reason.values()) == s["records_quarantined"]
        assert set(by_reason) <= REASONS
        # reserved for gates that are not part of the default run (SPEC 8)
        assert not set(by_reason) & {"unsafe_rag_category", "hallucinated_file_path"}


def row_provenance(s: dict[str, Any]) -> dict[str, Any]:
    p = s["provenance"]
    return {"source_file": p["source_file"], "line_offset": p["line_offset"], "sig_hash": p["sig_hash"],
            "recorded_at": RECORDED_AT}


def rag_row(s: dict[str, Any], e: dict[str, Any], *, title: str, tags: list[str]) -> dict[str, Any]:
    run_id, cat = s["evidence_run_id"], s["category"]
    return {
        "schema_version": 1,
        "id": "rag-" + h16(f"{run_id}|{s['provenance']['sig_hash']}"),
        "title": title,
        "content": e["text"],
        "tags": tags,
        "source_run_id": run_id,
        "success_score": cat,
        "source_category": cat,
        "embedding_text": e["text"][:2000],
        "created_at": RECORDED_AT,
        "provenance": row_provenance(s),
    }


def sft_row(s: dict[str, Any], e: dict[str, Any], *, instruction: str, context: str) -> dict[str, Any]:
    run_id = s["evidence_run_id"]
    return {
        "schema_version": 1,
        "id": "sft-" + h16(f"{run_id}|{s['provenance']['sig_hash']}"),
        "instruction": instruction,
        "context": context,
        "response": e["text"],
        "source_run_id": run_id,
        "quality_score": s["category"],
        "created_at": RECORDED_AT,
        "provenance": row_provenance(s),
    }


DEFAULT_CONTEXT = f"matrix=lakehouse_arch_v1{DOT}pathway_fingerprints=3{DOT}model=qwen2.5-coder:32b"


def default_tags(run_id: str, category: str = "accepted") -> list[str]:
    return ["task:scrum_review", f"category:{category}", "role:executor", "model:qwen2.5-coder:32b",
            f"file:crates/{run_id}.rs"]


# --------------------------------------------------------------------------------------------
# the happy path: one accepted record, both rows byte-exact


def test_single_accepted_record_exports_exact_rows(lakehouse: Path) -> None:
    s, e = sc("ok1"), ev("ok1")
    run = export(lakehouse, [s], [e])
    assert run.lines(RAG_OUT) == [dumps(rag_row(s, e, title="# Finding", tags=default_tags("ok1")))]
    assert run.lines(SFT_OUT) == [dumps(sft_row(s, e, instruction=SCRUM.format("crates/ok1.rs"),
                                                context=DEFAULT_CONTEXT))]
    assert run.q("rag") == [] and run.q("sft") == []
    for name in ("rag", "sft"):
        assert run.summary[name]["records_read"] == 1
        assert run.summary[name]["records_exported"] == 1
        assert run.summary[name]["quarantine_by_reason"] == {}
    check_accounting(run.summary)


# --------------------------------------------------------------------------------------------
# gate 1 (both): not JSON / not an object -> schema_violation with {"_raw": ...}


def test_not_json_and_not_object_lines_are_schema_violation(lakehouse: Path) -> None:
    long_line = "\u03a9" * 250  # not JSON; _raw keeps the first 200 code points
    lines: list[Any] = ["", "{not json", "[1,2]", "   ", long_line, b'{"evidence_run_id":"x\xff"}', "null"]
    run = export(lakehouse, lines, [ev("x")])
    expected_raw = {1: "{not json", 2: "[1,2]", 4: "\u03a9" * 200, 5: '{"evidence_run_id":"x\ufffd"}',
                    6: "null"}
    for exporter in ("rag", "sft"):
        s = run.summary[exporter]
        assert s["records_read"] == 5  # blank and whitespace-only lines are not records
        assert s["records_quarantined"] == 5
        assert s["quarantine_by_reason"] == {"schema_violation": 5}
        assert s["input_errors"] == 5
        for line, raw in expected_raw.items():
            check_q(run.q_at(exporter, line), exporter, "schema_violation", line, {"_raw": raw}, None)
    assert run.summary["preference"]["records_skipped"] == 5
    check_accounting(run.summary)


# --------------------------------------------------------------------------------------------
# RAG gate 2 / SFT gate 4: provenance


def test_missing_provenance(lakehouse: Path) -> None:
    prov = {"source_file": "data/_kb/scrum_reviews.jsonl", "line_offset": 0, "recorded_at": "x"}
    records = [
        sc("p0", drop=("provenance",)),                                   # no provenance
        sc("p1", provenance="data/_kb/scrum_reviews.jsonl"),              # not an object
        sc("p2", provenance=dict(prov)),                                  # no sig_hash
        sc("p3", provenance={**prov, "sig_hash": 7}),                     # sig_hash wrong type
        sc("p4", provenance={**prov, "sig_hash": ""}),                    # sig_hash empty
        sc("p5", provenance={"line_offset": 0, "sig_hash": "s5"}),        # no source_file
        sc("p6", provenance={"source_file": "", "line_offset": 0, "sig_hash": "s6"}),  # empty source_file
    ]
    run = export(lakehouse, records, [ev(f"p{i}") for i in range(7)])
    provs: list[Any] = [None, None] + [r["provenance"] for r in records[2:]]
    for i, r in enumerate(records):
        check_q(run.q_at("rag", i), "rag", "missing_provenance", i, r, provs[i])
    assert run.summary["rag"]["quarantine_by_reason"] == {"missing_provenance": 7}
    # SFT gate 4 only asks for provenance.sig_hash
    for i in range(5):
        check_q(run.q_at("sft", i), "sft", "missing_provenance", i, records[i], provs[i])
    # ... so p5 / p6 pass the gates and fail the row validation (source_file must be non-empty)
    for i in (5, 6):
        row = run.q_at("sft", i)
        assert row["reason"] == "schema_violation"
        assert row["id"] == qid("sft", "schema_violation", SCORED_FILE, i)
        assert row["source_record"]["id"] == "sft-" + h16(f"p{i}|s{i}")
        assert row["source_record"]["quality_score"] == "accepted"
        assert row["source_provenance"] == records[i]["provenance"]
    p6 = run.q_at("sft", 6)["source_record"]
    assert p6 == sft_row(records[6], ev("p6"), instruction=SCRUM.format("crates/p6.rs"),
                         context=DEFAULT_CONTEXT)
    assert run.rag == [] and run.sft == []
    check_accounting(run.summary)


# --------------------------------------------------------------------------------------------
# RAG gates 3 and 5 / SFT gates 5 and 6: missing_source_run_id


def test_missing_source_run_id(lakehouse: Path) -> None:
    records = [
        sc("r0", drop=("evidence_run_id",)),   # absent
        sc("", sig="sig-r1"),                 # empty
        sc("r2", evidence_run_id=5),          # wrong type
        sc("r3"),                             # no evidence with this run id
        sc("r4"),                             # evidence only in another partition
    ]
    write_partition(lakehouse, "evidence", "2026/04/28/scrum_reviews.jsonl", [ev("r4")])
    run = export(lakehouse, records, [ev("r0"), ev("r2"), ev("other")])
    for exporter in ("rag", "sft"):
        for i, r in enumerate(records):
            check_q(run.q_at(exporter, i), exporter, "missing_source_run_id", i, r, r["provenance"])
        assert run.summary[exporter]["quarantine_by_reason"] == {"missing_source_run_id": 5}
    assert run.summary["preference"]["records_skipped"] == 5
    check_accounting(run.summary)


# --------------------------------------------------------------------------------------------
# RAG gate 4 / SFT gates 2-3: categories


def test_category_gates(lakehouse: Path) -> None:
    cats: list[Any] = ["rejected", "needs_human_review", "Accepted", "", None, 5, "partially_accepted",
                       " accepted"]
    records = []
    for i, cat in enumerate(cats):
        r = sc(f"c{i}")
        if cat is None:
            del r["category"]
        else:
            r["category"] = cat
        records.append(r)
    run = export(lakehouse, records, [ev(f"c{i}") for i in range(len(cats))])
    rag_reasons = {i: "category_disallowed" for i in (0, 1, 2, 3, 4, 5, 7)}
    sft_reasons = {0: "unsafe_sft_category", 1: "unsafe_sft_category",
                   **{i: "category_disallowed" for i in (2, 3, 4, 5, 6, 7)}}
    for i, reason in rag_reasons.items():
        check_q(run.q_at("rag", i), "rag", reason, i, records[i], records[i]["provenance"])
    for i, reason in sft_reasons.items():
        check_q(run.q_at("sft", i), "sft", reason, i, records[i], records[i]["provenance"])
    assert [r["source_run_id"] for r in run.rag] == ["c6"]
    assert run.rag[0]["success_score"] == "partially_accepted"
    assert run.sft == []
    assert run.summary["rag"]["quarantine_by_reason"] == {"category_disallowed": 7}
    assert run.summary["sft"]["quarantine_by_reason"] == {"category_disallowed": 6, "unsafe_sft_category": 2}
    check_accounting(run.summary)


# --------------------------------------------------------------------------------------------
# RAG gate 6: empty_content; the same inputs fail the SFT instruction shape


def test_empty_content_and_sft_shape(lakehouse: Path) -> None:
    evs = [
        ev("e0", text=""),
        ev("e1", drop=("text",)),
        ev("e2", text=JS_WHITESPACE + JS_WHITESPACE),
        ev("e3", text=5),
    ]
    records = [sc(f"e{i}") for i in range(4)]
    run = export(lakehouse, records, evs)
    has_text = [False, False, True, False]  # has_text: text is a non-empty string
    for i, r in enumerate(records):
        check_q(run.q_at("rag", i), "rag", "empty_content", i, r, r["provenance"])
        check_q(run.q_at("sft", i), "sft", "missing_source_run_id", i,
                {"run_id": f"e{i}", "model_role": "executor", "has_text": has_text[i]}, r["provenance"])
    assert run.summary["rag"]["quarantine_by_reason"] == {"empty_content": 4}
    assert run.summary["sft"]["quarantine_by_reason"] == {"missing_source_run_id": 4}
    check_accounting(run.summary)


def test_sft_instruction_shape_roles(lakehouse: Path) -> None:
    evs = [
        ev("s0", role="extractor"),
        ev("s1", drop=("model_role",)),
        ev("s2", role=""),
        ev("s3", role="Executor"),
        ev("s4", model_role=3),
        ev("s5", role="reviewer"),
        ev("s6", role="applier"),
        ev("s7", role="executor"),
    ]
    records = [sc(f"s{i}") for i in range(8)]
    run = export(lakehouse, records, evs)
    roles = ["extractor", "", "", "Executor", ""]
    for i, role in enumerate(roles):
        check_q(run.q_at("sft", i), "sft", "missing_source_run_id", i,
                {"run_id": f"s{i}", "model_role": role, "has_text": True}, records[i]["provenance"])
    assert [r["source_run_id"] for r in run.sft] == ["s5", "s6", "s7"]
    # RAG does not care about the role; the role tag is there only when non-empty
    assert [r["source_run_id"] for r in run.rag] == [f"s{i}" for i in range(8)]
    assert [t for t in run.rag[0]["tags"] if t.startswith("role:")] == ["role:extractor"]
    for i in (1, 2, 4):
        assert not [t for t in run.rag[i]["tags"] if t.startswith("role:")]
    check_accounting(run.summary)


def test_sft_evidence_without_source_file_is_missing_provenance(lakehouse: Path) -> None:
    evs = [
        ev("v0", drop=("provenance",)),
        ev("v1", provenance={"line_offset": 1, "sig_hash": "e"}),
        ev("v2", provenance={"source_file": "", "sig_hash": "e"}),
        ev("v3", provenance={"source_file": 9, "sig_hash": "e"}),
        # the shape check comes first: extraction role *and* no provenance -> shape
        ev("v4", role="extractor", drop=("provenance",)),
    ]
    records = [sc(f"v{i}") for i in range(5)]
    run = export(lakehouse, records, evs)
    for i in range(4):
        check_q(run.q_at("sft", i), "sft", "missing_provenance", i, records[i], records[i]["provenance"])
    check_q(run.q_at("sft", 4), "sft", "missing_source_run_id", 4,
            {"run_id": "v4", "model_role": "extractor", "has_text": True}, records[4]["provenance"])
    assert run.sft == []
    # RAG reads the scored provenance only
    assert len(run.rag) == 5
    check_accounting(run.summary)


# --------------------------------------------------------------------------------------------
# RAG gate 7 / SFT gate 7: duplicate ids within one run


def test_duplicate_id_across_partitions(lakehouse: Path) -> None:
    a = sc("d1", sig="same")
    b = sc("d1", sig="same", reasons=["second"])
    later = "2026/04/28/scrum_reviews.jsonl"
    write_partition(lakehouse, "scored-runs", later, [b])
    write_partition(lakehouse, "evidence", later, [ev("d1", text="later text")])
    run = export(lakehouse, [a], [ev("d1")])
    later_file = f"data/scored-runs/{later}"
    for exporter, rows in (("rag", run.rag), ("sft", run.sft)):
        assert len(rows) == 1
        assert rows[0]["id"] == f"{exporter}-" + h16("d1|same")
        # the first in input order wins (file order, then line order)
        assert rows[0]["content" if exporter == "rag" else "response"] == "# Finding\nbody"
        check_q(run.q_at(exporter, 0, later_file), exporter, "duplicate_id", 0, b, b["provenance"],
                file=later_file)
        assert run.summary[exporter]["quarantine_by_reason"] == {"duplicate_id": 1}
        assert run.summary[exporter]["scored_files_read"] == 2
    check_accounting(run.summary)


# --------------------------------------------------------------------------------------------
# RAG gate 8 / SFT gate 9: validation of the built row -> schema_violation with the row


def test_row_validation_schema_violation(lakehouse: Path) -> None:
    base = {"source_file": "data/_kb/scrum_reviews.jsonl", "line_offset": 0, "recorded_at": "r"}
    records = [
        sc("b0", provenance={**base, "sig_hash": "s0", "line_offset": -1}),
        sc("b1", provenance={**base, "sig_hash": "s1", "line_offset": 2.5}),
        sc("b2", provenance={**base, "sig_hash": "s2", "source_file": " \u00a0 "}),
        sc("b3", provenance={**base, "sig_hash": "\u3000 "}),
        sc(" ", sig="s4"),  # source_run_id must be non-empty after trim
    ]
    evs = [ev("b0"), ev("b1"), ev("b2"), ev("b3"), ev(" ")]
    run = export(lakehouse, records, evs)
    for i, (r, e) in enumerate(zip(records, evs, strict=True)):
        tags = ["task:scrum_review", "category:accepted", "role:executor", "model:qwen2.5-coder:32b",
                f"file:crates/{e['run_id']}.rs"]
        rag_built = rag_row(r, e, title="# Finding", tags=tags)
        sft_built = sft_row(r, e, instruction=SCRUM.format(f"crates/{e['run_id']}.rs"),
                            context=DEFAULT_CONTEXT)
        check_q(run.q_at("rag", i), "rag", "schema_violation", i, rag_built, r["provenance"])
        check_q(run.q_at("sft", i), "sft", "schema_violation", i, sft_built, r["provenance"])
    assert run.rag == [] and run.sft == []
    for exporter in ("rag", "sft"):
        assert run.summary[exporter]["quarantine_by_reason"] == {"schema_violation": 5}
        assert run.summary[exporter]["input_errors"] == 0
    check_accounting(run.summary)


# --------------------------------------------------------------------------------------------
# the first failing gate decides


def test_first_failing_gate_decides(lakehouse: Path) -> None:
    no_sig = {"source_file": "data/_kb/scrum_reviews.jsonl", "line_offset": 0}
    only_sig = {"line_offset": 0, "sig_hash": "only-sig"}
    cases: list[tuple[dict[str, Any], str, str]] = [
        # record, RAG reason, SFT reason
        (sc("g0", "rejected", drop=("provenance",)), "missing_provenance", "unsafe_sft_category"),
        (sc("g1", "needs_human_review", drop=("provenance", "evidence_run_id")),
         "missing_provenance", "unsafe_sft_category"),
        (sc("g2", drop=("provenance", "evidence_run_id")), "missing_provenance", "missing_provenance"),
        (sc("g3", "rejected", drop=("evidence_run_id",)), "missing_source_run_id", "unsafe_sft_category"),
        (sc("g4", "rejected"), "category_disallowed", "unsafe_sft_category"),  # and no evidence
        (sc("g5", "partially_accepted", provenance=no_sig), "missing_provenance", "category_disallowed"),
        (sc("g6", "Accepted", drop=("provenance",)), "missing_provenance", "category_disallowed"),
        (sc("g7", provenance=only_sig, drop=("evidence_run_id",)),
         "missing_provenance", "missing_source_run_id"),
        (sc("g8", "bogus"), "category_disallowed", "category_disallowed"),  # and no evidence
        (sc("g9"), "empty_content", "missing_source_run_id"),  # empty text, extractor, no evidence provenance
        (sc("g10", drop=("evidence_run_id",), provenance=no_sig), "missing_provenance", "missing_provenance"),
    ]
    evs = [ev("g9", text=" ", role="extractor", drop=("provenance",))]
    run = export(lakehouse, [c[0] for c in cases], evs)
    for i, (rec, rag_reason, sft_reason) in enumerate(cases):
        prov = rec.get("provenance")
        check_q(run.q_at("rag", i), "rag", rag_reason, i, rec, prov)
        sft_source = {"run_id": "g9", "model_role": "extractor", "has_text": True} if i == 9 else rec
        check_q(run.q_at("sft", i), "sft", sft_reason, i, sft_source, prov)
    assert run.rag == [] and run.sft == []
    check_accounting(run.summary)


def test_existing_id_is_checked_before_content_and_shape(lakehouse: Path) -> None:
    """SFT: the id step (7) precedes the shape check (8); RAG: empty_content (6) precedes the id."""
    s = sc("x1")
    first = export(lakehouse, [s], [ev("x1")])
    assert first.summary["rag"]["records_exported"] == first.summary["sft"]["records_exported"] == 1
    # the evidence changes: now empty text from an extraction-class role
    second = export(lakehouse, [s], [ev("x1", text="", role="extractor")])
    assert second.summary["sft"]["skipped_existing"] == 1
    assert second.summary["sft"]["records_quarantined"] == 0
    assert second.summary["rag"]["skipped_existing"] == 0
    assert second.summary["rag"]["quarantine_by_reason"] == {"empty_content": 1}
    check_q(second.q_at("rag", 0), "rag", "empty_content", 0, s, s["provenance"])
    assert second.q("sft") == []
    check_accounting(second.summary)


# --------------------------------------------------------------------------------------------
# opt-in flags


def _flag_lakehouse(root: Path, *flags: str) -> Run:
    cats = ["accepted", "partially_accepted", "rejected", "needs_human_review"]
    return export(root, [sc(f"f{i}", c) for i, c in enumerate(cats)], [ev(f"f{i}") for i in range(4)], *flags)


def test_without_flags(lakehouse: Path) -> None:
    run = _flag_lakehouse(lakehouse)
    assert [(r["source_run_id"], r["success_score"]) for r in run.rag] == [
        ("f0", "accepted"), ("f1", "partially_accepted")]
    assert [(r["source_run_id"], r["quality_score"]) for r in run.sft] == [("f0", "accepted")]
    assert run.summary["rag"]["quarantine_by_reason"] == {"category_disallowed": 2}
    assert run.summary["sft"]["quarantine_by_reason"] == {"category_disallowed": 1, "unsafe_sft_category": 2}
    check_accounting(run.summary)


def test_include_review_and_include_partial(lakehouse: Path) -> None:
    run = _flag_lakehouse(lakehouse, "--include-review", "--include-partial")
    assert [(r["source_run_id"], r["success_score"], r["source_category"]) for r in run.rag] == [
        ("f0", "accepted", "accepted"), ("f1", "partially_accepted", "partially_accepted"),
        ("f3", "needs_human_review", "needs_human_review")]
    assert run.rag[2]["tags"][1] == "category:needs_human_review"
    assert [(r["source_run_id"], r["quality_score"]) for r in run.sft] == [
        ("f0", "accepted"), ("f1", "partially_accepted")]
    rej, nhr = sc("f2", "rejected"), sc("f3", "needs_human_review")
    check_q(run.q_at("rag", 2), "rag", "category_disallowed", 2, rej, rej["provenance"])
    check_q(run.q_at("sft", 2), "sft", "unsafe_sft_category", 2, rej, rej["provenance"])
    check_q(run.q_at("sft", 3), "sft", "unsafe_sft_category", 3, nhr, nhr["provenance"])
    assert run.summary["rag"]["quarantine_by_reason"] == {"category_disallowed": 1}
    assert run.summary["sft"]["quarantine_by_reason"] == {"unsafe_sft_category": 2}
    check_accounting(run.summary)


def test_each_flag_only_affects_its_exporter(lakehouse: Path) -> None:
    (lakehouse / "review").mkdir()
    review = _flag_lakehouse(lakehouse / "review", "--include-review")
    assert [r["source_run_id"] for r in review.sft] == ["f0"]  # partial still refused by SFT
    assert review.q_at("sft", 1)["reason"] == "category_disallowed"
    assert [r["source_run_id"] for r in review.rag] == ["f0", "f1", "f3"]
    (lakehouse / "partial").mkdir()
    partial = _flag_lakehouse(lakehouse / "partial", "--include-partial")
    assert [r["source_run_id"] for r in partial.rag] == ["f0", "f1"]  # review still refused by RAG
    assert partial.q_at("rag", 3)["reason"] == "category_disallowed"
    assert [r["source_run_id"] for r in partial.sft] == ["f0", "f1"]


# --------------------------------------------------------------------------------------------
# RAG row synthesis: title, tags, embedding_text


def test_rag_title(lakehouse: Path) -> None:
    texts = {
        "t0": "\n  \u00a0\n   Indented title \t\nbody",       # first non-blank line, untrimmed
        "t1": "a\r\nb",                                      # split on \n only
        "t2": "\U0001F600" * 130 + "\nrest",                 # 120 code points
        "t3": "\u3000\u2028\u205f\n\ufeff\u200b X\nY",       # JS whitespace lines are blank; U+200B is not
        "t4": "x" * 119 + "\u00e9\u00e9",
        "t5": "\n\n\n",                                      # (empty_content, never reaches the title)
    }
    titles = {
        "t0": "   Indented title \t",
        "t1": "a\r",
        "t2": "\U0001F600" * 120,
        "t3": "\ufeff\u200b X",
        "t4": "x" * 119 + "\u00e9",
    }
    ids = list(texts)
    run = export(lakehouse, [sc(i) for i in ids], [ev(i, text=t) for i, t in texts.items()])
    assert [r["source_run_id"] for r in run.rag] == ids[:5]
    for row in run.rag:
        rid = row["source_run_id"]
        assert row["title"] == titles[rid], rid
        assert row["content"] == texts[rid]
    assert run.q_at("rag", 5)["reason"] == "empty_content"


def test_rag_tags(lakehouse: Path) -> None:
    evs = [
        ev("g0", task_id="scrum_review:crates/x.rs:12"),
        ev("g1", task_id="plain", role="", drop=("model_name",), source_files=[""]),
        ev("g2", drop=("task_id", "model_role"), model_name="", source_files=[7, None, "b.rs", "c.rs"]),
        ev("g3", task_id=":lead", source_files=[]),
        ev("g4", task_id=5, model_name=6, source_files="x.rs"),
    ]
    run = export(lakehouse, [sc("g0"), sc("g1", "partially_accepted"), sc("g2"), sc("g3"), sc("g4")], evs)
    m = "model:qwen2.5-coder:32b"
    expected = {
        "g0": ["task:scrum_review", "category:accepted", "role:executor", m, "file:crates/g0.rs"],
        "g1": ["task:plain", "category:partially_accepted", "file:"],
        "g2": ["task:", "category:accepted", "file:b.rs"],
        "g3": ["task:", "category:accepted", "role:executor", m],
        "g4": ["task:", "category:accepted", "role:executor"],
    }
    assert {r["source_run_id"]: r["tags"] for r in run.rag} == expected


def test_rag_embedding_text_and_full_row(lakehouse: Path) -> None:
    text = "\u00e9" * 1500 + "\U0001F600" * 1000 + "tail"
    s, e = sc("long"), ev("long", text=text)
    run = export(lakehouse, [s], [e])
    row = run.rag[0]
    assert row["embedding_text"] == "\u00e9" * 1500 + "\U0001F600" * 500
    assert len(row["embedding_text"]) == 2000
    assert row["content"] == text
    assert row["title"] == "\u00e9" * 120
    assert run.lines(RAG_OUT) == [dumps(rag_row(s, e, title="\u00e9" * 120, tags=default_tags("long")))]


# --------------------------------------------------------------------------------------------
# SFT row synthesis: the eight instruction templates and the context


def _prov(source_file: str) -> dict[str, Any]:
    return {"source_file": source_file, "line_offset": 1, "sig_hash": "e", "recorded_at": "r"}


def test_sft_instruction_templates(lakehouse: Path) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        (ev("i0"), SCRUM.format("crates/i0.rs")),
        (ev("i1", drop=("source_files",)), SCRUM.format("")),
        (ev("i2", source="mode_experiments", task_id="mode:codereview", source_files=["m.rs"]),
         "Run task_class='mode:codereview' for file 'm.rs'. "
         "Produce the mode-runner's expected output shape."),
        (ev("i3", source="auto_apply", source_files=["p.rs", "q.rs"]),
         "Auto-apply: emit a 6-line surgical patch for 'p.rs' based on the latest scrum review findings."),
        (ev("i4", source="audits", task_id="phase:p3"),
         "Audit phase 'p3' and report findings with severity."),
        (ev("i5", source="audits", task_id="phase:phase:p4"),
         "Audit phase 'phase:p4' and report findings with severity."),
        (ev("i6", source="audits", task_id="p9:phase:"),
         "Audit phase 'p9:phase:' and report findings with severity."),
        (ev("i7", source="observer_reviews", source_files=["o.rs"]),
         "Observer-review the latest attempt on 'o.rs'. Verdict: accept | reject | cycle."),
        (ev("i8", source="contract_analyses", task_id="permit:B-1042", metadata={"contractor": "ACME Corp"}),
         "Analyze contractor 'ACME Corp' for permit 'B-1042'. Recommend with risk markers."),
        (ev("i9", source="contract_analyses", task_id="permit:B-7"),
         "Analyze permit 'B-7'. Recommend with risk markers."),
        (ev("i10", source="contract_analyses", task_id="B-8", metadata={"contractor": ""}),
         "Analyze permit 'B-8'. Recommend with risk markers."),
        (ev("i11", source="contract_analyses", task_id="permit:B-9", metadata={"contractor": 42}),
         "Analyze permit 'B-9'. Recommend with risk markers."),
        (ev("i12", source="outcomes"), "Run scenario; report per-event outcome with citations."),
        (ev("i13", source="weird_source"),
         "Source 'weird_source' run; produce the appropriate output for this task type."),
        (ev("i14", provenance=_prov("logs/raw/audits.jsonl")),
         "Source 'logs/raw/audits' run; produce the appropriate output for this task type."),
        (ev("i15", provenance=_prov("data/_kb/audits.json")),
         "Source 'audits.json' run; produce the appropriate output for this task type."),
        (ev("i16", provenance=_prov("scrum_reviews.jsonl")), SCRUM.format("crates/i16.rs")),
        (ev("i17", source="scrum_reviews", source_files=[3, "second.rs"]), SCRUM.format("second.rs")),
    ]
    records = [sc(e["run_id"]) for e, _ in cases]
    run = export(lakehouse, records, [e for e, _ in cases])
    assert len(run.sft) == len(cases)
    for line, s, (e, instruction) in zip(run.lines(SFT_OUT), records, cases, strict=True):
        assert json.loads(line)["instruction"] == instruction, e["run_id"]
        assert line == dumps(sft_row(s, e, instruction=instruction, context=DEFAULT_CONTEXT))
    check_accounting(run.summary)


def test_sft_context(lakehouse: Path) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        (ev("k0"), DEFAULT_CONTEXT),
        (ev("k1", retrieved_context={"matrix_corpora": ["a", "b"], "pathway_fingerprints_seen": 0},
            model_name="m"), f"matrix=a,b{DOT}pathway_fingerprints=0{DOT}model=m"),
        (ev("k2", retrieved_context={"matrix_corpora": [], "pathway_fingerprints_seen": 0}, model_name=""),
         "pathway_fingerprints=0"),
        (ev("k3", drop=("retrieved_context", "model_name")), ""),
        (ev("k4", retrieved_context={"matrix_corpora": [1, "x", None]}, drop=("model_name",)), "matrix=x"),
        (ev("k5", retrieved_context={"matrix_corpora": [5], "pathway_fingerprints_seen": 3.0},
            model_name="m"), "model=m"),
        (ev("k6", retrieved_context={"pathway_fingerprints_seen": "4"}, model_name=""), ""),
        (ev("k7", retrieved_context={"pathway_fingerprints_seen": -2}, model_name=""),
         "pathway_fingerprints=-2"),
        (ev("k8", retrieved_context={"pathway_fingerprints_seen": 9223372036854775807}, model_name=""),
         "pathway_fingerprints=9223372036854775807"),
        (ev("k9", retrieved_context={"pathway_fingerprints_seen": 9223372036854775808}, model_name=""), ""),
        (ev("k10", retrieved_context="matrix", model_name="m"), "model=m"),
        (ev("k11", retrieved_context={"matrix_corpora": "abc", "pathway_fingerprints_seen": 1},
            model_name=""),
         "pathway_fingerprints=1"),
    ]
    records = [sc(e["run_id"]) for e, _ in cases]
    evidence_lines: list[Any] = [e for e, _ in cases]
    # 1e2 is not an integer either: written raw since json.dumps would turn it into 100.0
    records.append(sc("k12"))
    evidence_lines.append('{"run_id":"k12","text":"t","model_role":"executor","model_name":"",'
                          '"provenance":{"source_file":"data/_kb/outcomes.jsonl"},'
                          '"retrieved_context":{"pathway_fingerprints_seen":1e2,"matrix_corpora":["z"]}}')
    run = export(lakehouse, records, evidence_lines)
    got = {r["source_run_id"]: r["context"] for r in run.sft}
    expected = {e["run_id"]: c for e, c in cases} | {"k12": "matrix=z"}
    assert got == expected


# --------------------------------------------------------------------------------------------
# summaries and accounting


def test_summary_accounting_on_a_mixed_lakehouse(lakehouse: Path) -> None:
    records: list[Any] = [
        sc("m0"), "", sc("m1", "rejected"), sc("m2", "needs_human_review"), "{oops",
        sc("m3", drop=("provenance",)),
        sc("m4"), sc("m5", "partially_accepted"), sc("m0"), sc("m6"), sc("m7", "weird"), "\t",
    ]
    evs = [ev("m0"), ev("m1"), ev("m2"), ev("m3"), ev("m5"), ev("m6", text=" "), ev("m7"), "not json"]
    run = export(lakehouse, records, evs)
    n_records = 10
    expected_rag = {"category_disallowed": 3, "duplicate_id": 1, "empty_content": 1, "missing_provenance": 1,
                    "missing_source_run_id": 1, "schema_violation": 1}
    expected_sft = {"category_disallowed": 2, "duplicate_id": 1, "missing_provenance": 1,
                    "missing_source_run_id": 2, "schema_violation": 1, "unsafe_sft_category": 2}
    for name, by_reason, exported in (("rag", expected_rag, 2), ("sft", expected_sft, 1)):
        s = run.summary[name]
        assert s["exporter"] == name
        assert s["dry_run"] is False
        assert s["scored_files_read"] == 1
        assert s["records_read"] == n_records
        assert s["quarantine_by_reason"] == by_reason
        assert list(s["quarantine_by_reason"]) == sorted(by_reason)
        assert s["records_exported"] == exported
        assert s["skipped_existing"] == 0
        assert s["input_errors"] == 2  # "{oops" in the scored file, "not json" in the evidence
        assert len(run.q(name)) == s["records_quarantined"] == n_records - exported
        assert {r["reason"] for r in run.q(name)} == set(by_reason)
    assert run.summary["rag"]["output_path"] == RAG_OUT
    assert run.summary["sft"]["output_path"] == SFT_OUT
    assert run.summary["preference"]["output_path"] == PREF_OUT
    assert {r["source_run_id"] for r in run.rag} == {"m0", "m5"}
    assert {r["source_run_id"] for r in run.sft} == {"m0"}
    check_accounting(run.summary)


def test_single_exporter_commands(lakehouse: Path) -> None:
    write_partition(lakehouse, "scored-runs", REL, [sc("o1"), sc("o2", "rejected")])
    write_partition(lakehouse, "evidence", REL, [ev("o1"), ev("o2")])
    rag = export_json(lakehouse, "export-rag")
    assert rag["exporter"] == "rag"
    assert (rag["records_exported"], rag["records_quarantined"], rag["records_read"]) == (1, 1, 2)
    assert (lakehouse / RAG_OUT).exists()
    assert not (lakehouse / SFT_OUT).exists() and not (lakehouse / QUARANTINE["sft"]).exists()
    sft = export_json(lakehouse, "export-sft")
    assert sft["exporter"] == "sft"
    assert sft["quarantine_by_reason"] == {"unsafe_sft_category": 1}
    assert (lakehouse / SFT_OUT).exists()
    assert not (lakehouse / PREF_OUT).exists()
    for s in (rag, sft):
        assert s["records_exported"] + s["records_quarantined"] + s["skipped_existing"] == s["records_read"]
