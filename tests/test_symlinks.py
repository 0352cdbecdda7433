"""Symlinked partition directories are followed (README: hostile paths)."""

from __future__ import annotations

import os
from pathlib import Path

from tests.conftest import evidence, export_json, read_jsonl, scored, write_partition


def test_symlinked_partition_directories_are_followed(tmp_path: Path) -> None:
    elsewhere = tmp_path / "archive"
    write_partition(elsewhere, "scored-runs", "2026/04/27/a.jsonl", [scored("far")])
    write_partition(elsewhere, "evidence", "2026/04/27/a.jsonl", [evidence("far")])
    root = tmp_path / "lake"
    write_partition(root, "scored-runs", "2026/04/28/a.jsonl", [scored("near")])
    write_partition(root, "evidence", "2026/04/28/a.jsonl", [evidence("near")])
    for kind in ("scored-runs", "evidence"):
        day = Path("data", kind, "2026", "04", "27")
        os.symlink(elsewhere / day, root / day)
    summary = export_json(root, "export-rag")
    assert summary["scored_files_read"] == 2 and summary["records_exported"] == 2
    rows = read_jsonl(root / "exports/rag/playbooks.jsonl")
    assert [r["source_run_id"] for r in rows] == ["far", "near"]  # byte order of the paths
