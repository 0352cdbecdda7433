"""The memory bound: DuckDB's memory_limit (DISTILL_DUCK_MEMORY_LIMIT, default 1536MB), a
scratch database file and a spill directory under the root. (The 1M-run corpus, 2.5 GB of
JSONL, completing under the default limit is measured by bench/run.py, see BENCHMARKS.md.)"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from distill_duck.demo import write_demo
from distill_duck.session import connect
from tests.conftest import RECORDED_AT, snapshot


def _export(root: Path, memory_limit: str | None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.pop("DISTILL_DUCK_MEMORY_LIMIT", None)
    if memory_limit:
        env["DISTILL_DUCK_MEMORY_LIMIT"] = memory_limit
    return subprocess.run([sys.executable, "-m", "distill_duck", "export-all", "--root", str(root),
                           "--recorded-at", RECORDED_AT, "--json"], capture_output=True, text=True, env=env)


@pytest.mark.parametrize(("env", "shown"), [(None, "1.4 GiB"), ("300MB", "286.1 MiB")])
def test_the_runner_sets_the_limit_and_the_spill_directory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env: str | None, shown: str) -> None:
    if env is None:
        monkeypatch.delenv("DISTILL_DUCK_MEMORY_LIMIT", raising=False)
    else:
        monkeypatch.setenv("DISTILL_DUCK_MEMORY_LIMIT", env)
    con = connect(spill_dir=tmp_path / "spill")
    try:
        limit, spill = con.execute(
            "SELECT current_setting('memory_limit'), current_setting('temp_directory')").fetchone()
    finally:
        con.close()
    assert limit == shown
    assert spill == str(tmp_path / "spill") and (tmp_path / "spill").is_dir()


@pytest.mark.slow
def test_a_tight_limit_gives_the_same_bytes_and_leaves_no_scratch(tmp_path: Path) -> None:
    tight, roomy = tmp_path / "tight", tmp_path / "roomy"
    write_demo(tight, runs=20_000, seed=3)  # ~50 MB of JSONL
    shutil.copytree(tight, roomy)
    # 5x the JSONL: the open-quarantine join of the warehouse (quarantine.still_open) needs
    # more than the 250MB that sufficed before it
    run = _export(tight, "320MB")
    assert run.returncode == 0, run.stderr
    assert _export(roomy, None).returncode == 0
    exports = snapshot(tight / "exports")
    assert exports and exports == snapshot(roomy / "exports")
    # the scratch database is removed; only the parsed-input cache, the receipts' file
    # digests, the lock and the (empty) spill directory stay
    leftovers = sorted(p.name for p in (tight / ".distill_duck").rglob("*") if p.is_file())
    assert leftovers == ["file_facts.json", "input_cache.duckdb", "lock"]
