"""`distill-duck run --select` adds or replaces only the selected models' relations: every
relation an export run published survives, so `query` and `report` keep working."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from distill_duck.cli import main
from tests.conftest import RECORDED_AT, evidence, scored, write_partition

PUBLISHED = {"evidence", "scored_runs", "input_errors", "rag_samples", "sft_samples", "preference_pairs",
             "quarantine", "runs"}


def _tables(root: Path) -> dict[str, int]:
    con = duckdb.connect(str(root / "warehouse.duckdb"), read_only=True)
    try:
        names = [t for (t,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
        # warehouse_sources gains a row per selected model; the rest must not change
        return {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in names
                if t != "warehouse_sources"}
    finally:
        con.close()


def test_run_select_keeps_every_published_relation(
        lakehouse: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_partition(lakehouse, "scored-runs", "2026/04/27/scrum_reviews.jsonl",
                    [scored("a1", task="t"), scored("a2", task="t"), scored("r1", "rejected", task="t"),
                     "oops"])
    write_partition(lakehouse, "evidence", "2026/04/27/scrum_reviews.jsonl",
                    [evidence("a1", text="one"), evidence("a2", text="two"), evidence("r1", text="bad")])
    assert main(["export-all", "--root", str(lakehouse), "--recorded-at", RECORDED_AT]) == 0
    before = _tables(lakehouse)
    assert PUBLISHED <= set(before)

    assert main(["run", "--root", str(lakehouse), "--select", "preference_candidates"]) == 0
    after = _tables(lakehouse)
    # the selected model is added, nothing published is lost or changed in size
    assert "preference_candidates" in after
    assert {t: after[t] for t in before} == before
    capsys.readouterr()
    assert main(["query", "--root", str(lakehouse), "SELECT count(*) AS n FROM quarantine"]) == 0
    assert str(before["quarantine"]) in capsys.readouterr().out

    # a second selection replaces what it selects and keeps the earlier one
    assert main(["run", "--root", str(lakehouse), "--select", "rag_decisions"]) == 0
    again = _tables(lakehouse)
    assert {"preference_candidates", "rag_decisions"} <= set(again)
    assert {t: again[t] for t in before} == before
