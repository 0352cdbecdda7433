"""A model that loses rows is caught before anything is written (issue item 3): the run's
accounting and firewall checks run on the prepared rows, before any file is renamed in,
and a dry run fails the same way."""

from __future__ import annotations

import functools
import json
import shutil
from pathlib import Path

import pytest

import distill_duck.pipeline
from distill_duck.cli import main
from distill_duck.runner import SQL_DIR, Project
from tests.conftest import RECORDED_AT, evidence, scored, snapshot, write_partition

REL = "2026/04/27/scrum_reviews.jsonl"


def lake(root: Path) -> None:
    write_partition(root, "scored-runs", REL, [
        scored("a1", task="scrum_review:x"), scored("a2", task="audit_facts:y"),
        scored("r1", "rejected", task="scrum_review:x"),
    ])
    write_partition(root, "evidence", REL, [
        evidence("a1", text="one"), evidence("a2", text="two", task_id="audit_facts:y"),
        evidence("r1", text="three"),
    ])


@pytest.fixture
def broken_gate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The shipped models, with RAG's gate dropping the audit_facts records on the floor."""
    sql = tmp_path / "sql"
    shutil.copytree(SQL_DIR, sql)
    gate = sql / "gates/rag_decisions.sql"
    text = gate.read_text()
    needle = "    FROM scored_with_evidence\n"
    assert text.count(needle) == 1
    gate.write_text(text.replace(needle, needle + "    WHERE task_id NOT LIKE 'audit_facts%'\n"))
    monkeypatch.setattr(distill_duck.pipeline, "Project", functools.partial(Project, sql_dir=sql))
    return sql


def test_a_model_that_loses_rows_writes_nothing(
        lakehouse: Path, broken_gate: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lake(lakehouse)
    before = snapshot(lakehouse)
    for dry in (["--dry-run"], []):
        assert main(["export-all", "--root", str(lakehouse), "--recorded-at", RECORDED_AT, *dry]) == 1
        out, err = capsys.readouterr()
        assert out == ""
        lines = err.strip().splitlines()
        assert len(lines) == 1 and "accounting:rag" in lines[0] and "nothing was written" in lines[0]
        assert "2 exported+quarantined+skipped_existing, 3 read" in lines[0]
        assert "accounting:sft" not in lines[0]
        # no exports, no receipt, no run history, no warehouse (the parsed-input cache may stay)
        left = {k for k in snapshot(lakehouse).keys() - before.keys() if not k.startswith(".distill_duck/")}
        assert left == set(), left
    assert not (lakehouse / "exports").exists() and not (lakehouse / "warehouse.duckdb").exists()


def test_the_healthy_models_pass_the_same_checks_and_record_them(
        lakehouse: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lake(lakehouse)
    assert main(["export-all", "--root", str(lakehouse), "--recorded-at", RECORDED_AT]) == 0
    capsys.readouterr()
    [receipt] = (lakehouse / "reports/distillation").glob("*/receipt.json")
    checks = {a["name"]: a for a in json.loads(receipt.read_text())["validation"]["assertions"]}
    assert checks["accounting:rag"]["passed"] and checks["accounting:sft"]["passed"]
    assert checks["accounting:rag"]["detail"] == "3 exported+quarantined+skipped_existing, 3 read"
    assert "accounting:preference" not in checks
    assert all(checks[f"appended:exports/{f}"]["passed"]
               for f in ("rag/playbooks.jsonl", "quarantine/sft.jsonl"))
    assert checks["sft_firewall"]["passed"] and checks["ids_unique:exports/quarantine/rag.jsonl"]["passed"]
