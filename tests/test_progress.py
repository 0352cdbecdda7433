"""Progress on stderr: shown on a terminal, quiet when not a terminal or with --json."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

from tests.conftest import RECORDED_AT, evidence, scored, write_partition


def _run_with_tty_stderr(*args: str) -> tuple[int, str, str]:
    master, slave = pty.openpty()
    p = subprocess.Popen([sys.executable, "-m", "distill_duck", *args], stdout=subprocess.PIPE,
                         stderr=slave, text=True)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    out, _ = p.communicate(timeout=60)
    os.close(master)
    return p.returncode, out, b"".join(chunks).decode("utf-8", "replace")


def _lake(root: Path) -> None:
    write_partition(root, "scored-runs", "2026/04/27/x.jsonl", [scored("a1")])
    write_partition(root, "evidence", "2026/04/27/x.jsonl", [evidence("a1")])


def test_progress_on_a_terminal(lakehouse: Path) -> None:
    _lake(lakehouse)
    args = ("export-all", "--root", str(lakehouse), "--recorded-at", RECORDED_AT)
    code, out, err = _run_with_tty_stderr(*args)
    assert code == 0 and "rag: read 1 records" in out
    for stage in ("inputs/scored_lines", "gates/rag_decisions", "writing export files",
                  "publishing warehouse.duckdb"):
        assert stage in err


def test_no_progress_with_json_or_without_a_terminal(lakehouse: Path) -> None:
    _lake(lakehouse)
    args = ("export-all", "--root", str(lakehouse), "--recorded-at", RECORDED_AT, "--json")
    code, out, err = _run_with_tty_stderr(*args)
    assert code == 0 and out.startswith("{") and err == ""
    p = subprocess.run([sys.executable, "-m", "distill_duck", "export-all", "--root", str(lakehouse)],
                       capture_output=True, text=True)
    assert p.returncode == 0 and p.stderr == ""
