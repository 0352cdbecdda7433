"""The same demo lakehouse exported by both engines (--engine duckdb and --engine spark),
and its training datasets built by both, on this machine: wall time of each, and whether
every export file and every dataset data file is the same bytes.

    python bench/engines.py --runs 20000            # needs the spark extra and Java 17

The Spark session is started (and its start timed) before either export, so the Spark time
is the run's, not the JVM's. Both engines run every default gate (secrets, exact and near
duplicates).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from distill_duck.cli import main  # noqa: E402
from distill_duck.demo import write_demo  # noqa: E402
from distill_duck.engines.spark_session import spark_session  # noqa: E402

FLAGS = ["--recorded-at", "2026-04-27T03:57:40.123Z", "--json"]


def outputs(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted((root / "exports").rglob("*")) if p.is_file()}


def export(root: Path, engine: str) -> float:
    started = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):  # (the summaries: only the times are printed)
        code = main(["export-all", "--root", str(root), "--engine", engine, *FLAGS])
    if code != 0:
        raise SystemExit(f"export-all --engine {engine} exited {code}")
    return time.perf_counter() - started


def dataset(root: Path, out: Path, engine: str) -> float:
    started = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        code = main(["dataset", str(out), "--root", str(root), "--engine", engine])
    if code != 0:
        raise SystemExit(f"dataset --engine {engine} exited {code}")
    return time.perf_counter() - started


def data_files(out: Path) -> dict[str, bytes]:
    """The dataset's files but its card and receipt (which say when they were made)."""
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and p.name not in ("README.md", "receipt.json")}


def main_bench() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="distill-duck-engines-") as tmp:
        source = Path(tmp) / "demo"
        facts = write_demo(source, runs=args.runs, seed=args.seed)
        started = time.perf_counter()
        spark_session()
        session = time.perf_counter() - started
        times, dataset_times = {}, {}
        for engine in ("duckdb", "spark"):
            root = Path(tmp) / engine
            shutil.copytree(source, root)
            times[engine] = export(root, engine)
            dataset_times[engine] = dataset(root, Path(tmp) / f"dataset-{engine}", engine)
        same = outputs(Path(tmp) / "duckdb") == outputs(Path(tmp) / "spark")
        same_datasets = data_files(Path(tmp) / "dataset-duckdb") == data_files(Path(tmp) / "dataset-spark")
    print(json.dumps({"runs": args.runs, "input_bytes": facts["bytes"], "spark_session_s": round(session, 1),
                      "duckdb_s": round(times["duckdb"], 1), "spark_s": round(times["spark"], 1),
                      "spark_over_duckdb": round(times["spark"] / times["duckdb"], 1),
                      "same_bytes": same,
                      "dataset_duckdb_s": round(dataset_times["duckdb"], 1),
                      "dataset_spark_s": round(dataset_times["spark"], 1),
                      "dataset_same_bytes": same_datasets}))


if __name__ == "__main__":
    main_bench()
