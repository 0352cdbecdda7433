"""Ctrl-C (SPEC section 11): at every stage one line, exit 130, and every output as it was
before the run or as a whole run leaves it; the run history and the receipt are written
together or not at all. The run is interrupted deterministically at a named stage
($DISTILL_DUCK_INTERRUPT_AT sends SIGINT just after that stage begins)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from distill_duck.demo import write_demo
from distill_duck.interrupts import HOOK_ENV
from tests.conftest import RECORDED_AT, run_cli

STAGES = ["inputs/scored_lines", "gates/rag_decisions", "exports/sft_quarantine", "writing export files",
          "warehouse/quarantine", "receipts/run_checks", "publishing warehouse.duckdb"]


def _cli(root: Path, *args: str, stage: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != HOOK_ENV}
    if stage:
        env[HOOK_ENV] = stage
    return subprocess.run([sys.executable, "-m", "distill_duck", *args, "--root", str(root)],
                          capture_output=True, text=True, env=env)


def _exports(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted((root / "exports").rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def lakes(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, bytes]]:
    """A pristine demo lake and the exports an uninterrupted run gives it."""
    base = tmp_path_factory.mktemp("interrupt")
    pristine = base / "pristine"
    # big enough that every stage has rows to work on (every output file gets lines)
    write_demo(pristine, runs=600, seed=11)
    done = base / "done"
    shutil.copytree(pristine, done)
    assert _cli(done, "export-all", "--recorded-at", RECORDED_AT).returncode == 0
    after = _exports(done)
    assert len(after) == 6 and all(after.values()), "every output file gets lines"
    return pristine, after


@pytest.mark.slow
@pytest.mark.parametrize("stage", STAGES)
def test_an_interrupted_export_leaves_before_or_after(
        stage: str, lakes: tuple[Path, dict[str, bytes]], tmp_path: Path) -> None:
    pristine, after = lakes
    root = tmp_path / "lake"
    shutil.copytree(pristine, root)
    p = _cli(root, "export-all", "--recorded-at", RECORDED_AT, stage=stage)
    assert p.returncode == 130, p.stderr
    assert len(p.stderr.splitlines()) == 1 and "interrupted" in p.stderr and "Traceback" not in p.stderr
    history = root / "reports/distillation/runs.jsonl"
    receipts = sorted((root / "reports/distillation").glob("*/receipt.json"))
    if _exports(root) == {}:  # as before: nothing of the run anywhere
        assert not history.exists() and receipts == [] and not (root / "warehouse.duckdb").exists()
        assert "as they were before" in p.stderr
    else:  # as after: the whole run, its history line and its receipt together
        assert _exports(root) == after
        assert len(history.read_text().splitlines()) == 3 and len(receipts) == 1
        assert (root / "warehouse.duckdb").is_file() and "finished first" in p.stderr
    assert not list((root / ".distill_duck").glob("distill-duck-work-*"))  # no scratch left
    # the next run converges to the bytes of an uninterrupted one (in this process: only
    # the interrupt needs a process of its own)
    run_cli("export-all", "--root", str(root), "--recorded-at", RECORDED_AT)
    assert _exports(root) == after


@pytest.mark.slow
def test_an_interrupted_model_run_keeps_the_warehouse(lakes: tuple[Path, dict[str, bytes]],
                                                      tmp_path: Path) -> None:
    pristine, _ = lakes
    root = tmp_path / "lake"
    shutil.copytree(pristine, root)
    run_cli("export-all", "--root", str(root), "--recorded-at", RECORDED_AT)
    before = (root / "warehouse.duckdb").read_bytes()
    p = _cli(root, "run", "--select", "rag_decisions", stage="gates/scored_with_evidence")
    assert p.returncode == 130 and len(p.stderr.splitlines()) == 1 and "Traceback" not in p.stderr
    assert (root / "warehouse.duckdb").read_bytes() == before
