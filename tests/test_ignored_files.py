"""Files under data/ that are not partitions (SPEC section 1) are not read, but not silent
either: counted in the summary, listed in the receipt and the warehouse, warned about."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from distill_duck.cli import main
from tests.conftest import RECORDED_AT, evidence, scored, write_partition

CASES = Path(__file__).parent / "conformance"
MISPLACED = {
    "data/scored-runs/2026/04/27/audits.JSONL": "name does not end in .jsonl",
    "data/scored-runs/2026/04/27/notes.json": "name does not end in .jsonl",
    "data/scored-runs/2026/04/27/nested/deeper.jsonl": "not exactly three folders below data/scored-runs/",
    "data/evidence/2026/04/early.jsonl": "not exactly three folders below data/evidence/",
    "data/README.txt": "not under data/scored-runs/ or data/evidence/",
}


def _lake(root: Path) -> None:
    write_partition(root, "scored-runs", "2026/04/27/scrum_reviews.jsonl", [scored("a1"), scored("a2")])
    write_partition(root, "evidence", "2026/04/27/scrum_reviews.jsonl", [evidence("a1"), evidence("a2")])
    for rel in MISPLACED:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(json.dumps(scored("x9")) + "\n")


def _export(root: Path, capsys: pytest.CaptureFixture[str], *flags: str) -> tuple[int, str, str]:
    code = main(["export-all", "--root", str(root), "--recorded-at", RECORDED_AT, *flags])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_misplaced_files_are_counted_listed_and_warned_about(
        lakehouse: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _lake(lakehouse)
    code, out, _ = _export(lakehouse, capsys, "--dry-run", "--json")
    assert code == 0
    assert [s["ignored_files"] for s in json.loads(out).values()] == [5, 5, 5]
    assert json.loads(out)["rag"]["records_read"] == 2  # not read

    code, out, err = _export(lakehouse, capsys)
    assert code == 0
    warning = [line for line in err.splitlines() if "ignored" in line]
    assert len(warning) == 1 and "5 files under data/" in warning[0] and "audits.JSONL" in warning[0]
    receipt = json.loads((lakehouse / out.split("receipt: ")[1].strip()).read_text())
    assert receipt["ignored_files"] == [{"file": f, "why": w} for f, w in sorted(MISPLACED.items())]
    assert receipt["summaries"]["sft"]["ignored_files"] == 5

    con = duckdb.connect(str(lakehouse / "warehouse.duckdb"), read_only=True)
    try:
        assert dict(con.execute("SELECT file, why FROM ignored_files").fetchall()) == MISPLACED
        comment = "SELECT comment FROM duckdb_tables() WHERE table_name = 'ignored_files'"
        assert con.execute(comment).fetchone()[0]
        assert con.execute("SELECT DISTINCT ignored_files FROM runs").fetchall() == [(5,)]
    finally:
        con.close()

    # put right, nothing is ignored and no warning is printed
    for rel in MISPLACED:
        (lakehouse / rel).unlink()
    code, out, err = _export(lakehouse, capsys, "--json")
    assert code == 0 and "ignored" not in err
    assert json.loads(out)["rag"]["ignored_files"] == 0


def test_the_messy_lines_case_reports_its_stray_files(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "root"
    shutil.copytree(CASES / "messy-lines" / "input", root)
    code, out, _ = _export(root, capsys, "--json")
    # data/scored-runs/2026/04/stray.jsonl (wrong depth) and .../27/notes.json (wrong extension)
    assert code == 0 and json.loads(out)["rag"]["ignored_files"] == 2
