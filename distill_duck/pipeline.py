"""One exporter run: discover inputs, repair outputs, run the models, append, summarise.

All record-level work happens in the SQL models; this module moves files and numbers.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from distill_duck.errors import DistillError
from distill_duck.lakehouse import DATASETS, EVIDENCE_DIR, OUTPUTS, QUARANTINES, RUNS_HISTORY, Lakehouse
from distill_duck.lock import root_lock
from distill_duck.outputs import append_atomically, repair_torn, replace_atomically
from distill_duck.runner import Model, Project
from distill_duck.sqlquote import lit
from distill_duck.warehouse import publish

EXPORTERS = ("rag", "sft", "preference")
SUMMARY_KEYS = (
    "exporter", "dry_run", "scored_files_read", "records_read", "records_exported",
    "records_quarantined", "skipped_existing", "quarantine_by_reason", "input_errors",
    "output_path",
)
QUARANTINE_FILES = frozenset(QUARANTINES.values())
PREFERENCE_KEYS = ("task_ids_with_pairs", "insufficient_pair_task_ids", "records_skipped")


def now_iso() -> str:
    """Now, formatted like 2026-04-27T03:57:40.123Z (SPEC section 3)."""
    t = datetime.now(UTC)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


@dataclass(frozen=True)
class RunOptions:
    recorded_at: str = field(default_factory=now_iso)
    include_review: bool = False
    include_partial: bool = False
    max_pairs_per_task: int = 5
    dry_run: bool = False
    # where run times come from; fixed only to make the example warehouse reproducible
    clock: Callable[[], str] = field(default=now_iso, compare=False, repr=False)

    def context(self) -> dict[str, Any]:
        """The run options as template variables."""
        values = asdict(self)
        del values["clock"]
        return values


@dataclass
class RunResult:
    summaries: dict[str, dict[str, Any]]
    timings: dict[str, float]
    written: dict[str, int]
    repaired: dict[str, str]


def connect(database: str = ":memory:", spill_dir: Path | None = None) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with the limits the runner always sets."""
    config: dict[str, Any] = {"memory_limit": os.environ.get("DISTILL_DUCK_MEMORY_LIMIT", "2GB")}
    con = duckdb.connect(database, config=config)
    if spill_dir is not None:
        spill_dir.mkdir(parents=True, exist_ok=True)
        con.execute(f"SET temp_directory = {lit(str(spill_dir))}")
    return con


def _bind(con: duckdb.DuckDBPyConnection, values: dict[str, str | list[str]]) -> None:
    for name, value in values.items():
        cast = "::VARCHAR[]" if isinstance(value, list) else "::VARCHAR"
        con.execute(f"SET VARIABLE {name} = ?{cast}", [value])


def set_inputs(con: duckdb.DuckDBPyConnection, lake: Lakehouse, output_files: Sequence[str]) -> None:
    """Bind the discovered files as DuckDB variables the models read (getvariable)."""
    _bind(con, {
        "root_prefix": str(lake.root).rstrip("/") + "/",
        "scored_paths": [str(lake.path(p)) for p in lake.scored_files()],
        "evidence_paths": [str(lake.path(p)) for p in lake.partition_files(EVIDENCE_DIR)],
        # ids already exported (idempotent append); empty on a dry run
        "output_paths": [str(lake.path(p)) for p in output_files],
    })
    set_published_files(con, lake)


def set_published_files(con: duckdb.DuckDBPyConnection, lake: Lakehouse) -> None:
    """Bind the output files as they are now, for the warehouse models."""
    def existing(*rels: str) -> list[str]:
        return [str(lake.path(r)) for r in rels if lake.path(r).is_file()]

    _bind(con, {
        **{f"{name}_output_paths": existing(rel) for name, rel in DATASETS.items()},
        "quarantine_output_paths": existing(*QUARANTINES.values()),
        "runs_paths": existing(RUNS_HISTORY),
    })


def exporter_models(project: Project, exporters: Iterable[str]) -> list[Model]:
    """The export models (those with an ``export`` config) of the given exporters."""
    names = tuple(f"{e}_" for e in exporters)
    return [m for m in project.models.values() if "export" in m.config and m.name.startswith(names)]


def is_json_object(con: duckdb.DuckDBPyConnection) -> Callable[[bytes], bool]:
    def check(raw: bytes) -> bool:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return False
        row = con.execute(
            "SELECT strict_json_valid(?1) AND json_type(?1) = 'OBJECT'", [text]
        ).fetchone()
        return bool(row and row[0])

    return check


def run_exporters(
    root: Path,
    exporters: Sequence[str],
    options: RunOptions,
    on_model: Callable[[Model], None] | None = None,
) -> RunResult:
    if options.dry_run:
        # a dry run writes nothing under the root, not even scratch space
        with tempfile.TemporaryDirectory(prefix="distill-duck-dry-run-") as scratch:
            return _run_exporters(root, exporters, options, Path(scratch), on_model)
    with root_lock(root):
        return _run_exporters(root, exporters, options, root / ".distill_duck", on_model)


def _run_exporters(
    root: Path,
    exporters: Sequence[str],
    options: RunOptions,
    state_dir: Path,
    on_model: Callable[[Model], None] | None,
) -> RunResult:
    started_at = options.clock()
    lake = Lakehouse(root)
    project = Project(options.context())
    con = connect(spill_dir=state_dir / "spill")
    try:
        project.install_macros(con)
        repaired: dict[str, str] = {}
        if not options.dry_run:
            check = is_json_object(con)
            for rel in OUTPUTS:
                done = repair_torn(lake.path(rel), check)
                if done:
                    repaired[rel] = done
        existing = [] if options.dry_run else [p for p in OUTPUTS if lake.path(p).is_file()]
        set_inputs(con, lake, existing)

        exports = exporter_models(project, exporters)
        select = [m.name for m in exports] + [f"{e}_summary" for e in exporters]
        timings = project.run(con, select, on_model=on_model)

        summaries = {e: read_summary(con, e, options) for e in exporters}
        written: dict[str, int] = {}
        if not options.dry_run:
            started = time.perf_counter()
            # quarantine files first: if a crash falls between the two, the re-run still sees
            # the dataset without the new ids and re-derives the same duplicate_id rows, so it
            # converges to the bytes of an uninterrupted run
            quarantine_first = sorted(exports, key=lambda m: m.config["export"] not in QUARANTINE_FILES)
            for model in quarantine_first:
                target = model.config["export"]
                written[target] = write_export(con, model, lake.path(target), state_dir)
            timings["write_exports"] = time.perf_counter() - started
            record_runs(lake, summaries, options, started_at)
            set_published_files(con, lake)
            warehouse_models = [m.name for m in project.models.values() if m.stage == "warehouse"]
            timings.update(project.run(con, warehouse_models, on_model=on_model, upstream=False))
            started = time.perf_counter()
            publish(con, root, project.published())
            timings["publish_warehouse"] = time.perf_counter() - started
        return RunResult(summaries, timings, written, repaired)
    finally:
        con.close()


def run_models(
    root: Path,
    select: Sequence[str] | None,
    options: RunOptions,
    on_model: Callable[[Model], None] | None = None,
) -> dict[str, float]:
    """Run models (all, or the selected ones and what they read) into the warehouse file.
    Export files are not touched: the export-* commands write those."""
    lake = Lakehouse(root)
    project = Project(options.context())
    with root_lock(root):
        return _run_models(lake, project, select, on_model)


def _run_models(
    lake: Lakehouse,
    project: Project,
    select: Sequence[str] | None,
    on_model: Callable[[Model], None] | None,
) -> dict[str, float]:
    root = lake.root
    con = connect(spill_dir=root / ".distill_duck" / "spill")
    try:
        existing = [p for p in OUTPUTS if lake.path(p).is_file()]
        project.install_macros(con)
        set_inputs(con, lake, existing)
        timings = project.run(con, select, on_model=on_model)
        publish(con, root, project.ordered(select))
        return timings
    finally:
        con.close()


def record_runs(lake: Lakehouse, summaries: dict[str, dict[str, Any]], options: RunOptions,
                started_at: str) -> None:
    """Append one line per exporter to the run history the warehouse's ``runs`` reads."""
    # sortable by time; the root lock allows one run per root at a time, so the start time
    # and the options tell runs apart
    seed = json.dumps([started_at, options.context()], sort_keys=True)
    suffix = hashlib.sha256(seed.encode()).hexdigest()
    run_id = started_at.replace("-", "").replace(":", "") + "-" + suffix[:6]
    finished_at = options.clock()
    lines = "".join(
        json.dumps({
            "run_id": run_id, "exporter": name, "started_at": started_at, "finished_at": finished_at,
            "recorded_at": options.recorded_at, "include_review": options.include_review,
            "include_partial": options.include_partial, "max_pairs_per_task": options.max_pairs_per_task,
            **{k: v for k, v in summary.items() if k not in ("exporter", "dry_run")},
        }, ensure_ascii=False) + "\n"
        for name, summary in summaries.items()
    )
    target = lake.path(RUNS_HISTORY)

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as out:
            if target.exists():
                out.write(target.read_bytes())
            out.write(lines.encode("utf-8"))

    replace_atomically(target, write)


def write_export(con: duckdb.DuckDBPyConnection, model: Model, target: Path, state_dir: Path) -> int:
    """COPY a model's new lines to a scratch file, then append them atomically to target."""
    relation = f'"{model.name}"'
    nulls = con.execute(f"SELECT count(*) FROM {relation} WHERE jsonl IS NULL").fetchone()
    if nulls and nulls[0]:
        raise DistillError(
            f"model {model.name!r} built {nulls[0]} empty lines; nothing was written "
            "(this is a bug: please report it with the input that caused it)"
        )
    state_dir.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f"{model.name}.", suffix=".jsonl", dir=state_dir)
    os.close(fd)
    scratch = Path(name)
    try:
        con.execute(
            f"COPY (SELECT jsonl FROM {relation}) TO {lit(str(scratch))} "
            "(FORMAT csv, HEADER false, QUOTE '', ESCAPE '', DELIMITER '\x1f')"
        )
        return append_atomically(target, scratch)
    finally:
        scratch.unlink(missing_ok=True)


def read_summary(con: duckdb.DuckDBPyConnection, exporter: str, options: RunOptions) -> dict[str, Any]:
    cur = con.execute(f'SELECT * FROM "{exporter}_summary"')
    row = cur.fetchone()
    assert row is not None and cur.description is not None
    values = dict(zip([d[0] for d in cur.description], row, strict=True))
    values["dry_run"] = options.dry_run
    values["quarantine_by_reason"] = dict(sorted(json.loads(values["quarantine_by_reason"]).items()))
    keys = SUMMARY_KEYS + (PREFERENCE_KEYS if exporter == "preference" else ())
    return {k: values[k] for k in keys}


__all__ = ["DATASETS", "EXPORTERS", "QUARANTINES", "RunOptions", "RunResult", "run_exporters"]
