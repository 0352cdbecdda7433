"""Regenerate ``warehouse.duckdb.example``: the warehouse of a small demo lakehouse, for
opening in a BI tool at once. Deterministic: fixed seed, fixed recorded_at, fixed clock.

    python -m distill_duck.example [PATH]     (default: ./warehouse.duckdb.example)
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from distill_duck.demo import write_demo
from distill_duck.exporters import builtin
from distill_duck.lakehouse import WAREHOUSE
from distill_duck.pipeline import run_exporters
from distill_duck.session import RunOptions

EXAMPLE = "warehouse.duckdb.example"
RUNS, SEED = 300, 7
RECORDED_AT = "2026-04-27T03:57:40.123Z"


def build_example(target: Path) -> Path:
    with tempfile.TemporaryDirectory(prefix="distill-duck-example-") as tmp:
        root = Path(tmp) / "demo-lake"
        write_demo(root, runs=RUNS, seed=SEED)
        options = RunOptions(recorded_at=RECORDED_AT, clock=lambda: RECORDED_AT)
        run_exporters(root, list(builtin()), options)
        shutil.copyfile(root / WAREHOUSE, target)
    return target


if __name__ == "__main__":
    out = build_example(Path(sys.argv[1] if len(sys.argv) > 1 else EXAMPLE))
    print(f"wrote {out}")
