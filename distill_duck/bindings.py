"""The DuckDB variables a run binds for the models (``getvariable('name')`` in their SQL):
the files found under the root, the output files, the safety gates' reference data."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb

from distill_duck.exporters import Exporters
from distill_duck.lakehouse import RUNS_HISTORY, Lakehouse
from distill_duck.safety import SafetyGates
from distill_duck.session import now_iso
from distill_duck.sqlquote import bind_variables

# read_json needs at least one file: lists of output files always end with this empty one
EMPTY_JSONL = Path(__file__).resolve().parent / "empty.jsonl"
# the run history: a model reading it is built after the run has appended its own lines
RUNS_VARIABLE = "runs_paths"
QUARANTINES_VARIABLE = "quarantine_output_paths"

Bound = dict[str, "list[Path] | str"]


def _bind(con: duckdb.DuckDBPyConnection, values: dict[str, Any]) -> dict[str, Any]:
    """bind_variables, returning the values (the warehouse fingerprints the files read)."""
    bind_variables(con, values)
    return values


def root_prefix(root: Path) -> str:
    """The `root_prefix` variable for files under `root`: what root_relative() cuts off."""
    return str(root).rstrip("/") + "/"


def set_inputs(con: duckdb.DuckDBPyConnection, lake: Lakehouse, exporters: Exporters,
               output_files: Sequence[str], safety: SafetyGates | None = None,
               scratch_dir: Path | None = None, recorded_at: str | None = None) -> tuple[list[str], Bound]:
    """Bind the discovered files as DuckDB variables the models read (getvariable); return
    the partition files read (scored, then evidence) and every variable bound."""
    scored, evidence = lake.scored_files(), lake.evidence_files()
    safety = safety or SafetyGates()
    manifest = safety.manifest_file(scratch_dir or lake.root / ".distill_duck")
    bound = _bind(con, {
        "root_prefix": root_prefix(lake.root),
        # the run's recorded_at (SPEC 3), bound rather than rendered: the models' SQL is then
        # the same text on every run, and parsed once per process
        "recorded_at": recorded_at or now_iso(),
        "scored_paths": [lake.path(p) for p in scored],
        "evidence_paths": [lake.path(p) for p in evidence],
        # ids already exported (idempotent append; a dry run previews against them too)
        "output_paths": [lake.path(p) for p in output_files] + [EMPTY_JSONL],
        # the safety gates' reference data (SPEC 12.2, 12.3)
        "manifest_paths": [manifest] if manifest is not None else [EMPTY_JSONL],
        "decontaminate_paths": [Path(f).resolve() for f in safety.decontaminate] or [EMPTY_JSONL],
        # files under data/ that are not partitions: listed, never read
        "ignored_paths": lake.ignored_files(),
    })
    return scored + evidence, {**bound, **set_published_files(con, lake, exporters)}


def set_published_files(con: duckdb.DuckDBPyConnection, lake: Lakehouse, exporters: Exporters,
                        staged: Mapping[str, Path] | None = None) -> Bound:
    """Bind the output files for the warehouse models: as they are now, each followed by
    the new lines staged for it (so the models see the files as the run will leave them)."""
    staged = staged or {}

    def existing(*rels: str) -> list[Path]:
        paths = []
        for r in rels:
            paths += [lake.path(r)] if lake.path(r).is_file() else []
            paths += [staged[r]] if r in staged else []
        return paths + [EMPTY_JSONL]

    return _bind(con, {
        **{e.output_variable: existing(e.dataset) for e in exporters.values()},
        QUARANTINES_VARIABLE: existing(*exporters.quarantine_files),
        RUNS_VARIABLE: existing(RUNS_HISTORY),
    })
