"""Idempotent append, dry run, torn-file repair and within-run duplicates (SPEC 3, 3.1, 11)."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

from tests.conftest import (
    RECORDED_AT,
    evidence,
    export_json,
    output_lines,
    output_rows,
    scored,
    snapshot,
    write_partition,
)

REL = "2026/04/27/scrum_reviews.jsonl"
SCORED_FILE = f"data/scored-runs/{REL}"
RAG_OUT = "exports/rag/playbooks.jsonl"
SFT_OUT = "exports/sft/instruction_response.jsonl"
PREF_OUT = "exports/preference/chosen_rejected.jsonl"
Q_RAG, Q_SFT, Q_PREF = (f"exports/quarantine/{x}.jsonl" for x in ("rag", "sft", "preference"))
ALL_OUT = [RAG_OUT, SFT_OUT, PREF_OUT, Q_RAG, Q_SFT, Q_PREF]
COUNTS = ("records_read", "records_exported", "records_quarantined", "skipped_existing",
          "quarantine_by_reason", "input_errors", "scored_files_read")
PREF_COUNTS = ("task_ids_with_pairs", "insufficient_pair_task_ids", "records_skipped")


def h16(seed: str) -> str:
    return hashlib.sha256(seed.encode("utf-8")).hexdigest()[:16]


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


lines = output_lines
rows = output_rows


def exports(root: Path) -> dict[str, bytes]:
    return {k: v for k, v in snapshot(root).items() if k.startswith("exports/")}


def counts(summary: dict[str, Any]) -> dict[str, Any]:
    """Every count of an export-all summary (not dry_run / output_path)."""
    out = {}
    for name, s in summary.items():
        keys = COUNTS + (PREF_COUNTS if name == "preference" else ())
        out[name] = {k: s[k] for k in keys}
    return out


def mixed_lakehouse(root: Path) -> None:
    """Something for every exporter to export and to quarantine (no within-run duplicates)."""
    no_provenance = scored("m1")
    del no_provenance["provenance"]
    write_partition(root, "scored-runs", REL, [
        scored("a1", task="t1"),
        scored("r1", "rejected", task="t1"),
        scored("p1", "partially_accepted", task="t2"),
        scored("n1", "needs_human_review", task="t2"),
        "{not json",
        scored("ghost"),                                 # no evidence
        scored("a2", task="t3"),
        scored("r2", "rejected", task="t3"),             # same text as a2: invalid_preference_pairing
        no_provenance,
        scored("selfie", task="t4"),
        scored("selfie", "rejected", task="t4"),          # self_pairing
    ])
    write_partition(root, "evidence", REL, [
        evidence("a1", text="good answer"), evidence("r1", text="bad answer"), evidence("p1"),
        evidence("n1"), evidence("a2", text=" same "), evidence("r2", text="same"),
        evidence("selfie", text="me"), "evidence not json",
    ])


def test_second_run_writes_nothing(lakehouse: Path) -> None:
    mixed_lakehouse(lakehouse)
    first = export_json(lakehouse)
    for name in ("rag", "sft", "preference"):
        assert first[name]["records_exported"] > 0
        assert first[name]["records_quarantined"] > 0
    assert first["rag"]["quarantine_by_reason"]["missing_provenance"] == 1
    assert set(first["preference"]["quarantine_by_reason"]) == {"invalid_preference_pairing", "self_pairing"}
    before = exports(lakehouse)

    second = export_json(lakehouse)
    assert exports(lakehouse) == before, "a re-run on unchanged inputs must write zero bytes"
    for name in ("rag", "sft", "preference"):
        a, b = first[name], second[name]
        assert b["records_exported"] == 0
        assert b["skipped_existing"] == a["skipped_existing"] + a["records_exported"]
        assert b["records_quarantined"] == a["records_quarantined"]
        assert b["quarantine_by_reason"] == a["quarantine_by_reason"]
        assert b["records_read"] == a["records_read"]
        assert b["input_errors"] == a["input_errors"] == 2
    for name in ("rag", "sft"):
        s = second[name]
        assert s["records_exported"] + s["records_quarantined"] + s["skipped_existing"] == s["records_read"]
    assert second["preference"]["task_ids_with_pairs"] == 0  # no pair exported *in this run*
    for key in ("insufficient_pair_task_ids", "records_skipped"):
        assert second["preference"][key] == first["preference"][key]

    # single exporters re-run: still nothing written
    for command in ("export-rag", "export-sft", "export-preference"):
        s = export_json(lakehouse, command)
        assert s["records_exported"] == 0
    assert exports(lakehouse) == before


def test_new_input_lines_are_appended_at_the_end(lakehouse: Path) -> None:
    mixed_lakehouse(lakehouse)
    export_json(lakehouse)
    before = exports(lakehouse)

    # new lines at the end of the existing partition ...
    scored_path = lakehouse / "data" / "scored-runs" / REL
    evidence_path = lakehouse / "data" / "evidence" / REL
    with scored_path.open("ab") as f:
        for rec in (scored("new1", task="t9"), scored("new2", "rejected", task="t9"), scored("nope")):
            f.write(json.dumps(rec).encode() + b"\n")
    with evidence_path.open("ab") as f:
        for rec in (evidence("new1", text="fine"), evidence("new2", text="worse")):
            f.write(json.dumps(rec).encode() + b"\n")
    # ... and a new partition that sorts *before* it (its rows still go after the old ones)
    early = "2026/04/26/scrum_reviews.jsonl"
    write_partition(lakehouse, "scored-runs", early, [scored("early1"), scored("early2", "rejected")])
    write_partition(lakehouse, "evidence", early, [evidence("early1"), evidence("early2")])

    second = export_json(lakehouse)
    after = exports(lakehouse)
    for rel in ALL_OUT:
        assert after[rel].startswith(before[rel]), f"{rel}: existing bytes must stay untouched"
    new = {rel: [json.loads(x) for x in after[rel][len(before[rel]):].decode().split("\n")[:-1]]
           for rel in ALL_OUT}
    # RAG / SFT rows in input order: file order (04/26 first), then line order
    assert [r["source_run_id"] for r in new[RAG_OUT]] == ["early1", "new1"]
    assert [r["source_run_id"] for r in new[SFT_OUT]] == ["early1", "new1"]
    assert [(r["chosen_run_id"], r["rejected_run_id"]) for r in new[PREF_OUT]] == [("new1", "new2")]
    early_file = f"data/scored-runs/{early}"
    assert sorted((r["input"]["file"], r["input"]["line"], r["reason"]) for r in new[Q_RAG]) == [
        (early_file, 1, "category_disallowed"),
        (SCORED_FILE, 12, "category_disallowed"),
        (SCORED_FILE, 13, "missing_source_run_id"),
    ]
    assert sorted((r["input"]["file"], r["input"]["line"], r["reason"]) for r in new[Q_SFT]) == [
        (early_file, 1, "unsafe_sft_category"),
        (SCORED_FILE, 12, "unsafe_sft_category"),
        (SCORED_FILE, 13, "missing_source_run_id"),
    ]
    assert new[Q_PREF] == []
    for name, exported in (("rag", 2), ("sft", 2), ("preference", 1)):
        assert second[name]["records_exported"] == exported
    assert second["preference"]["task_ids_with_pairs"] == 1
    for name in ("rag", "sft"):
        s = second[name]
        assert s["records_read"] == 16
        assert s["records_exported"] + s["records_quarantined"] + s["skipped_existing"] == s["records_read"]


def test_dry_run_writes_nothing_and_previews_the_next_run(lakehouse: Path, tmp_path: Path) -> None:
    mixed_lakehouse(lakehouse)
    real_root = tmp_path / "real"
    shutil.copytree(lakehouse, real_root)

    before = snapshot(lakehouse)
    dry = export_json(lakehouse, "export-all", "--dry-run")
    assert snapshot(lakehouse) == before
    for name in ("exports", "reports", "warehouse.duckdb"):
        assert not (lakehouse / name).exists(), name
    assert all(s["dry_run"] is True for s in dry.values())

    real = export_json(real_root)
    assert all(s["dry_run"] is False for s in real.values())
    assert counts(dry) == counts(real)

    # with outputs present (and a torn line) and a new partition, a dry run still touches
    # nothing and reports what the next real run does (SPEC 3: a preview of the next run)
    with (real_root / RAG_OUT).open("ab") as f:
        f.write(b'{"id":"rag-torn"')
    write_partition(real_root, "scored-runs", "2026/04/28/later.jsonl",
                    [scored("a9", task="t9"), scored("r9", "rejected", task="t9")])
    write_partition(real_root, "evidence", "2026/04/28/later.jsonl",
                    [evidence("a9", text="good"), evidence("r9", text="bad")])
    before = snapshot(real_root)
    again = export_json(real_root, "export-all", "--dry-run")
    assert snapshot(real_root) == before
    singles = {}
    for command in ("export-rag", "export-sft", "export-preference"):
        single = export_json(real_root, command, "--dry-run")
        assert single["dry_run"] is True
        singles[single["exporter"]] = single
    assert snapshot(real_root) == before

    next_run = export_json(real_root)
    assert counts(again) == counts(next_run) == counts(singles)
    assert counts(next_run) != counts(real)
    for name in ("rag", "sft"):  # the rows of the first run are already there
        assert again[name]["skipped_existing"] == real[name]["records_exported"] > 0
    assert again["preference"]["skipped_existing"] == real["preference"]["records_exported"] > 0


def test_dry_run_creates_no_directories(lakehouse: Path) -> None:
    """"Writes nothing": not even an empty directory in the user's root (it may be read-only)."""
    mixed_lakehouse(lakehouse)
    before = sorted(p.relative_to(lakehouse).as_posix() for p in lakehouse.rglob("*"))
    export_json(lakehouse, "export-all", "--dry-run")
    after = sorted(p.relative_to(lakehouse).as_posix() for p in lakehouse.rglob("*"))
    assert after == before


def test_torn_output_lines_are_repaired(lakehouse: Path) -> None:
    write_partition(lakehouse, "scored-runs", REL,
                    [scored("a1", task="t"), scored("r1", "rejected", task="t")])
    write_partition(lakehouse, "evidence", REL, [evidence("a1", text="yes"), evidence("r1", text="no")])
    # what a fresh run would write for a1 into the RAG file
    rag_row = {
        "schema_version": 1, "id": "rag-" + h16("a1|sig-a1"), "title": "yes", "content": "yes",
        "tags": ["task:scrum_review", "category:accepted", "role:executor", "model:qwen2.5-coder:32b",
                 "file:crates/a1.rs"],
        "source_run_id": "a1", "success_score": "accepted", "source_category": "accepted",
        "embedding_text": "yes", "created_at": RECORDED_AT,
        "provenance": {"source_file": "data/_kb/scrum_reviews.jsonl", "line_offset": 0, "sig_hash": "sig-a1",
                       "recorded_at": RECORDED_AT},
    }
    old = '{"schema_version":1,"id":"rag-0000000000000000"}'
    torn_sft = '{"schema_version":1,"id":"sft-tor'
    earlier_torn = b"from an earlier crash\n"
    foreign = '{"id":"pref-foreign","x":"\u00e9"}'
    outputs = {
        RAG_OUT: f"{old}\n{dumps(rag_row)}",         # torn, but a JSON object: gets its \n
        SFT_OUT: f"{old}\n{torn_sft}",                # torn, not JSON: moved to .torn
        Q_RAG: "[1,2]",                               # torn JSON, not an object: moved to .torn
        PREF_OUT: foreign,                            # torn JSON object with an unknown id: kept
    }
    for rel, text in outputs.items():
        (lakehouse / rel).parent.mkdir(parents=True, exist_ok=True)
        (lakehouse / rel).write_bytes(text.encode("utf-8"))
    (lakehouse / (SFT_OUT + ".torn")).write_bytes(earlier_torn)

    s = export_json(lakehouse)
    assert lines(lakehouse, RAG_OUT) == [old, dumps(rag_row)]
    assert s["rag"]["skipped_existing"] == 1 and s["rag"]["records_exported"] == 0
    assert not (lakehouse / (RAG_OUT + ".torn")).exists()

    sft = lines(lakehouse, SFT_OUT)
    assert sft[0] == old and len(sft) == 2
    assert json.loads(sft[1])["id"] == "sft-" + h16("a1|sig-a1")
    assert s["sft"]["records_exported"] == 1
    torn_file = (lakehouse / (SFT_OUT + ".torn")).read_bytes()
    assert torn_file.startswith(earlier_torn), "the .torn file is appended to"
    assert torn_file[len(earlier_torn):].rstrip(b"\n") == torn_sft.encode()

    q = lines(lakehouse, Q_RAG)
    assert [json.loads(x)["reason"] for x in q] == ["category_disallowed"]
    assert (lakehouse / (Q_RAG + ".torn")).read_bytes().rstrip(b"\n") == b"[1,2]"

    pref = lines(lakehouse, PREF_OUT)
    assert pref[0] == foreign
    assert [json.loads(x)["id"] for x in pref[1:]] == ["pref-" + h16("a1|r1|t")]

    # repaired files are complete: a second run changes nothing at all
    before = exports(lakehouse)
    export_json(lakehouse)
    assert exports(lakehouse) == before


def test_duplicates_within_a_run_and_against_the_file(lakehouse: Path) -> None:
    rec = scored("d", sig="same")
    write_partition(lakehouse, "scored-runs", REL, [rec, "", rec, scored("d", sig="same", reasons=[])])
    write_partition(lakehouse, "evidence", REL, [evidence("d")])
    first = export_json(lakehouse)
    for name, out in (("rag", RAG_OUT), ("sft", SFT_OUT)):
        s = first[name]
        assert (s["records_exported"], s["records_quarantined"]) == (1, 2)
        assert s["quarantine_by_reason"] == {"duplicate_id": 2}
        assert [r["id"] for r in rows(lakehouse, out)] == [f"{name}-" + h16("d|same")]
        q = rows(lakehouse, f"exports/quarantine/{name}.jsonl")
        assert [(r["reason"], r["input"]["line"]) for r in q] == [("duplicate_id", 2), ("duplicate_id", 3)]
        assert [r["id"] for r in q] == ["q-" + h16(f"{name}|duplicate_id|{SCORED_FILE}|{n}|") for n in (2, 3)]
        assert q[1]["source_record"] == scored("d", sig="same", reasons=[])
    before = exports(lakehouse)
    # the id is now in the output file: every copy is skipped_existing (that check comes first)
    second = export_json(lakehouse)
    assert exports(lakehouse) == before
    for name in ("rag", "sft"):
        s = second[name]
        assert (s["records_exported"], s["records_quarantined"], s["skipped_existing"]) == (0, 0, 3)
        assert s["quarantine_by_reason"] == {}
