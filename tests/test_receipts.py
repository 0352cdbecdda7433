"""Run receipts (reports/distillation/<run_id>/receipt.json) and latest.md."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import RECORDED_AT, evidence, export_json, run_cli, scored, write_partition

REL = "2026/04/27/scrum_reviews.jsonl"


def _lake(root: Path) -> None:
    write_partition(root, "scored-runs", REL, [
        scored("a1", task="t"), scored("a2", task="t"), scored("r1", "rejected", task="t"),
        scored("n1", "needs_human_review"), scored("p1", "partially_accepted"), "not json",
    ])
    write_partition(root, "evidence", REL, [
        evidence("a1", text="first"), evidence("a2", text="second"), evidence("r1", text="wrong"),
        evidence("n1"), evidence("p1"),
    ])


def _receipts(root: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((root / "reports/distillation").glob("*/receipt.json"))]


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_receipt_proves_what_went_in_and_came_out(lakehouse: Path) -> None:
    (lakehouse / "data").mkdir()
    summary = export_json(lakehouse)
    assert summary["rag"]["records_read"] == 0  # a root with an empty data/ still gets a receipt
    _lake(lakehouse)
    summary = export_json(lakehouse)
    receipts = _receipts(lakehouse)
    assert len(receipts) == 2
    r = receipts[-1]
    assert r["run_id"] > receipts[0]["run_id"]  # sortable by time
    assert r["tool"]["name"] == "distill-duck" and r["tool"]["version"]
    assert r["options"]["recorded_at"] == RECORDED_AT and r["options"]["max_pairs_per_task"] == 5
    assert r["git"] is None  # not a git work tree
    assert r["summaries"] == summary
    assert r["category_counts"] == {"accepted": 2, "needs_human_review": 1, "partially_accepted": 1,
                                    "rejected": 1}
    assert r["validation"]["passed"] is True
    names = {a["name"] for a in r["validation"]["assertions"]}
    assert {"sft_firewall", "rag_firewall", "preference_no_self_pairs", "accounting:rag",
            "accounting:sft", "appended:exports/sft/instruction_response.jsonl"} <= names
    # every input file read, with its hash and size
    inputs = {i["file"]: i for i in r["inputs"]}
    assert set(inputs) == {f"data/scored-runs/{REL}", f"data/evidence/{REL}"}
    for rel, facts in inputs.items():
        assert facts["sha256"] == _sha(lakehouse / rel)
        assert facts["bytes"] == (lakehouse / rel).stat().st_size
    # every output, before and after, and the rows this run wrote
    outputs = {o["file"]: o for o in r["outputs"]}
    sft = outputs["exports/sft/instruction_response.jsonl"]
    assert sft["before"] is None and sft["rows_written"] == summary["sft"]["records_exported"] == 2
    assert sft["after"]["sha256"] == _sha(lakehouse / "exports/sft/instruction_response.jsonl")
    assert sft["after"]["lines"] == 2
    assert outputs["warehouse.duckdb"]["after"]["bytes"] == (lakehouse / "warehouse.duckdb").stat().st_size
    assert set(r["timings_ms"]["exporters"]) == {"rag", "sft", "preference"}
    models = r["timings_ms"]["models"]
    # every model that ran and the file-writing stages (BENCHMARKS.md reads these)
    assert {"rag_decisions", "rag_playbooks", "write_exports", "publish_warehouse"} <= set(models)
    assert all(ms >= 0 for ms in models.values())
    # an exporter's time is that of the models only it needs: its decisions, its two export
    # models and its summary (the inputs and the safety gates' fingerprints are shared, and
    # the warehouse's rag_samples is built for everyone from the files)
    assert r["timings_ms"]["exporters"]["rag"] == pytest.approx(
        sum(models[n] for n in ("rag_decisions", "rag_playbooks", "rag_quarantine", "rag_summary")), abs=0.5)

    # a third run on unchanged inputs: the outputs' hashes do not move
    export_json(lakehouse)
    third = _receipts(lakehouse)[-1]
    for o in third["outputs"]:
        if o["file"].startswith("exports/"):
            assert o["rows_written"] == 0
            assert o["before"] == o["after"]


def test_git_state_is_recorded(lakehouse: Path) -> None:
    _lake(lakehouse)
    git = ["git", "-C", str(lakehouse), "-c", "user.email=t@example.com", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q", "-b", "main"], check=True)
    subprocess.run([*git, "add", "data"], check=True)
    subprocess.run([*git, "commit", "-qm", "data"], check=True)
    head = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True, check=True)
    head = head.stdout.strip()
    export_json(lakehouse)
    r = _receipts(lakehouse)[-1]
    assert r["git"] == {"commit": head, "branch": "main", "dirty": False}


def test_tampered_output_fails_the_checks_before_anything_is_written(lakehouse: Path) -> None:
    _lake(lakehouse)
    export_json(lakehouse)
    sft = lakehouse / "exports/sft/instruction_response.jsonl"
    smuggled = json.loads(sft.read_text().splitlines()[0])
    smuggled.update(id="sft-0123456789abcdef", quality_score="rejected")
    with open(sft, "a") as f:
        f.write(json.dumps(smuggled) + "\n")
    # new input, so the run has rows to write: it must write none of them
    write_partition(lakehouse, "scored-runs", "2026/04/28/more.jsonl", [scored("a9")])
    write_partition(lakehouse, "evidence", "2026/04/28/more.jsonl", [evidence("a9", text="new")])
    written = {p.relative_to(lakehouse).as_posix(): p.read_bytes() for p in lakehouse.rglob("*")
               if p.is_file() and p.parts[len(lakehouse.parts)] in ("exports", "reports", "warehouse.duckdb")}
    receipts = len(_receipts(lakehouse))
    for dry in ((), ("--dry-run",)):  # the dry run fails the same way
        p = run_cli("export-all", "--root", str(lakehouse), "--recorded-at", RECORDED_AT, *dry, check=False)
        assert p.returncode == 1, p.stderr
        assert p.stdout == ""
        assert "sft_firewall" in p.stderr and len(p.stderr.strip().splitlines()) == 1
        assert "nothing was written" in p.stderr
        assert "ids_unique" not in p.stderr  # only the failed checks are named
    after = {p.relative_to(lakehouse).as_posix(): p.read_bytes() for p in lakehouse.rglob("*")
             if p.is_file() and p.parts[len(lakehouse.parts)] in ("exports", "reports", "warehouse.duckdb")}
    assert after == written
    assert len(_receipts(lakehouse)) == receipts
    assert not list((lakehouse / ".distill_duck").glob("new-lines-*"))


def test_latest_md_shows_the_last_run_of_each_exporter(lakehouse: Path) -> None:
    _lake(lakehouse)
    export_json(lakehouse)
    export_json(lakehouse, "export-sft", "--include-partial")
    latest = (lakehouse / "reports/distillation/latest.md").read_text()
    runs = sorted(p.parent.name for p in (lakehouse / "reports/distillation").glob("*/receipt.json"))
    rag_part, sft_part = latest.split("## rag")[1].split("## sft")
    assert runs[0] in rag_part and runs[1] in sft_part  # sft's latest is the second run
    assert "| records_exported | 1 |" in sft_part  # the partial one, now let in
    assert "| unsafe_sft_category | 2 |" in sft_part
    assert "## preference" in latest


def test_a_file_is_hashed_again_only_when_it_changed(lakehouse: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Receipt digests come from file_facts.json for files whose stat did not change: a re-run
    reads no partition or output to hash it, and every digest stays the file's real sha256,
    even after a rewrite that keeps the size and the mtime."""
    from distill_duck import receipts

    _lake(lakehouse)
    export_json(lakehouse)
    hashed: list[str] = []
    real = receipts.file_facts
    monkeypatch.setattr(receipts, "file_facts",
                        lambda p: hashed.append(p.relative_to(lakehouse).as_posix()) or real(p))

    def digests_true() -> None:
        r = _receipts(lakehouse)[-1]
        for i in r["inputs"]:
            assert i["sha256"] == _sha(lakehouse / i["file"]), i["file"]
        for o in r["outputs"]:
            if o["after"] is not None and o["file"] != "warehouse.duckdb":
                assert o["after"]["sha256"] == _sha(lakehouse / o["file"]), o["file"]

    export_json(lakehouse)  # nothing new: only what this run rewrote is read
    assert sorted(hashed) == ["reports/distillation/runs.jsonl", "warehouse.duckdb"]
    digests_true()

    hashed.clear()
    path = lakehouse / "data/evidence" / REL
    stat = path.stat()
    path.write_bytes(path.read_bytes().replace(b"first", b"FIRST"))  # same size
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # and the same mtime
    export_json(lakehouse)
    assert f"data/evidence/{REL}" in hashed and f"data/scored-runs/{REL}" not in hashed
    digests_true()
