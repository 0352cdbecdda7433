"""One exporter run: discover inputs, repair outputs, run the models, append, summarise.

All record-level work happens in the SQL models; this module moves files and numbers.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from distill_duck import __version__, interrupts
from distill_duck.errors import DistillError, duckdb_failure
from distill_duck.input_cache import CACHE_FILE, InputCache
from distill_duck.lakehouse import (
    DATASETS,
    OUTPUTS,
    QUARANTINES,
    RUNS_HISTORY,
    WAREHOUSE,
    Lakehouse,
)
from distill_duck.lock import root_lock
from distill_duck.outputs import (
    append_atomically,
    commit,
    prepare_append,
    remove_stale_scratch,
    repair_torn,
)
from distill_duck.receipts import facts_of, git_state, write_receipt
from distill_duck.runner import Model, Project
from distill_duck.safety import SafetyGates
from distill_duck.sqlquote import bind_variables, ident, lit
from distill_duck.warehouse import PREVIOUS, attach_previous, fingerprints, publish, storage_version

EXPORTERS = ("rag", "sft", "preference")
# model folders run only by their own command (`distill-duck health`, `distill-duck dataset`)
OWN_COMMAND_STAGES = ("health", "datasets")
# told the stage a run is in: "inputs/scored_lines", "writing export files", ...
Progress = Callable[[str], None]
SUMMARY_KEYS = (
    "exporter", "dry_run", "scored_files_read", "records_read", "records_exported",
    "records_quarantined", "skipped_existing", "quarantine_by_reason", "input_errors",
    "ignored_files", "output_path",
)
QUARANTINE_FILES = frozenset(QUARANTINES.values())
# the folders under .distill_duck/ holding a run's new lines until they are appended
STAGE_PREFIX = "new-lines-"
# read_json needs at least one file: lists of output files always end with this empty one
EMPTY_JSONL = Path(__file__).resolve().parent / "empty.jsonl"
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
    safety: SafetyGates = field(default_factory=SafetyGates)
    # where run times come from; fixed only to make the example warehouse reproducible
    clock: Callable[[], str] = field(default=now_iso, compare=False, repr=False)
    # a user's project folder whose sql/ models add to or replace the built-in ones
    project: Path | None = None

    def context(self) -> dict[str, Any]:
        """The run options as template variables (the safety gates' flattened)."""
        values = asdict(self)
        del values["clock"], values["safety"], values["project"]
        return {**values, **self.safety.context()}

    def recorded(self) -> dict[str, Any]:
        """The options as a receipt and the run history record them."""
        values = asdict(self)
        del values["clock"], values["dry_run"], values["safety"], values["project"]
        return {**values, "safety_gates": self.safety.settings()}


@dataclass
class RunResult:
    summaries: dict[str, dict[str, Any]]
    timings: dict[str, float]
    repaired: dict[str, str]
    receipt_path: Path | None = None
    receipt: dict[str, Any] | None = None
    ignored_files: list[str] = field(default_factory=list)  # under data/, not partitions
    # new lines appended per output file (on a dry run: the lines a real run would append)
    rows_written: dict[str, int] = field(default_factory=dict)

    @property
    def validation_passed(self) -> bool:
        return self.receipt is None or bool(self.receipt["validation"]["passed"])


def connect(database: str = ":memory:", spill_dir: Path | None = None) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with the limits the runner always sets."""
    config: dict[str, Any] = {"memory_limit": os.environ.get("DISTILL_DUCK_MEMORY_LIMIT", "1536MB")}
    con = duckdb.connect(database, config=config)
    # Every table a run writes (scratch, input cache, warehouse) is zstd-compressed.
    # DuckDB's default tries each method on every column segment, and that analysis of long
    # texts cost more than the rest of publishing; zstd alone was 3x faster and 3x smaller
    # on the demo corpus, and the smaller scratch files halve the I/O (BENCHMARKS.md).
    con.execute("SET force_compression = 'zstd'")
    if spill_dir is not None:
        spill_dir.mkdir(parents=True, exist_ok=True)
        con.execute(f"SET temp_directory = {lit(str(spill_dir))}")
    return con


def _bind(con: duckdb.DuckDBPyConnection, values: dict[str, Any]) -> dict[str, Any]:
    """bind_variables, returning the values (the warehouse fingerprints the files read)."""
    bind_variables(con, values)
    return values


def set_inputs(con: duckdb.DuckDBPyConnection, lake: Lakehouse, output_files: Sequence[str],
               safety: SafetyGates | None = None,
               scratch_dir: Path | None = None) -> tuple[list[str], dict[str, list[Path] | str]]:
    """Bind the discovered files as DuckDB variables the models read (getvariable); return
    the partition files read (scored, then evidence) and every variable bound."""
    scored, evidence = lake.scored_files(), lake.evidence_files()
    safety = safety or SafetyGates()
    manifest = safety.manifest_file(scratch_dir or lake.root / ".distill_duck")
    bound = _bind(con, {
        "root_prefix": str(lake.root).rstrip("/") + "/",
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
    return scored + evidence, {**bound, **set_published_files(con, lake)}


def set_published_files(con: duckdb.DuckDBPyConnection, lake: Lakehouse,
                        staged: Mapping[str, Path] | None = None) -> dict[str, list[Path] | str]:
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
        **{f"{name}_output_paths": existing(rel) for name, rel in DATASETS.items()},
        "quarantine_output_paths": existing(*QUARANTINES.values()),
        "runs_paths": existing(RUNS_HISTORY),
    })


def exporter_models(project: Project, exporters: Iterable[str]) -> list[Model]:
    """The export models (those with an ``export`` config) of the given exporters."""
    names = tuple(f"{e}_" for e in exporters)
    return [m for m in project.models.values() if m.config.export and m.name.startswith(names)]


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
    progress: Progress | None = None,
) -> RunResult:
    storage_version()  # a bad setting is refused before anything is written
    progress = interrupts.hooked(progress)
    if options.dry_run:
        # a dry run writes nothing under the root, not even scratch space
        with tempfile.TemporaryDirectory(prefix="distill-duck-dry-run-") as scratch:
            return _run_exporters(root, exporters, options, Path(scratch), progress)
    with root_lock(root):
        return _run_exporters(root, exporters, options, root / ".distill_duck", progress)


def _run_exporters(
    root: Path,
    exporters: Sequence[str],
    options: RunOptions,
    state_dir: Path,
    progress: Progress | None,
) -> RunResult:
    started_at = options.clock()
    clock_start = time.perf_counter()
    git = None if options.dry_run else git_state(root)  # as it was before this run wrote
    lake = Lakehouse(root)
    project = Project(options.context(), project=options.project)
    if not options.dry_run:
        # under the lock: whatever a killed run left half-made goes first
        remove_stale_scratch(root, sorted({lake.path(rel).parent for rel in OUTPUTS}
                                          | {root / "reports" / "distillation"}))
    # the models' tables live in a scratch database file, not in memory, so DuckDB can evict
    # them to disk when the corpus (or a night's new rows) is larger than memory
    state_dir.mkdir(parents=True, exist_ok=True)
    # (DuckDB misplaces the write-ahead log of a database under a path holding "?")
    work_dir = state_dir if "?" not in str(state_dir) else Path(tempfile.gettempdir())
    work_db = work_dir / f"distill-duck-work-{os.getpid()}.duckdb"
    scratch = [work_db]  # removed when the run ends, whatever happens
    scratch_dirs: list[Path] = []
    con = connect(str(work_db), spill_dir=state_dir / "spill")
    try:
        project.install_macros(con)
        repaired: dict[str, str] = {}
        if not options.dry_run:
            check = is_json_object(con)
            for rel in OUTPUTS:
                done = repair_torn(lake.path(rel), check)
                if done:
                    repaired[rel] = done
        # a dry run previews the next run, so it reads the existing outputs too (SPEC 3); a
        # torn last line it cannot repair is skipped by the readers (a JSON object is read
        # whole), which is what the repair would leave
        existing = [p for p in OUTPUTS if lake.path(p).is_file()]
        inputs, bound = set_inputs(con, lake, existing, options.safety, state_dir)
        # parsed partition files are kept between runs under the root (not for dry runs,
        # which write nothing there, nor where DuckDB cannot keep a file: see work_dir)
        if work_dir == state_dir and not options.dry_run:
            cache_path = state_dir / CACHE_FILE
        else:
            cache_path = work_dir / f"distill-duck-input-cache-{os.getpid()}.duckdb"
            scratch.append(cache_path)
        cache = InputCache(con, cache_path, project, bound)

        exports = exporter_models(project, exporters)
        select = [m.name for m in exports] + [f"{e}_summary" for e in exporters]
        select += [m.name for m in project.published() if m.stage == "inputs"]
        timings = project.run(con, select, progress=progress, incremental=cache.run)
        summaries = {e: read_summary(con, e, options) for e in exporters}
        ignored = list(bound["ignored_paths"])

        # The new lines go to scratch files first, and the run's checks (firewall, unique
        # ids, accounting) run on the files as they would become: a model that loses or
        # lets through rows fails here, before anything is renamed in, dry run or not.
        started = time.perf_counter()
        if progress:
            progress("preparing export files")
        stage_dir = Path(tempfile.mkdtemp(prefix=STAGE_PREFIX, dir=state_dir))
        scratch_dirs.append(stage_dir)
        staged, rows_written = stage_exports(con, exports, stage_dir)
        timings["prepare_exports"] = time.perf_counter() - started
        bound.update(set_published_files(con, lake, staged))
        bind_variables(con, {"run_summaries": json.dumps(summaries)})
        keep, more = build_warehouse(con, project, root, bound, progress)
        timings.update(more)
        checks = run_checks(con)
        failed = [c for c in checks if not c["passed"]]
        if failed:
            raise DistillError(
                f"the run failed {len(failed)} checks on the rows it prepared, so nothing was written: "
                + "; ".join(f"{c['name']} ({c['detail']})" for c in failed)
                + " (a model under sql/ loses or lets through rows, or an output file was edited: "
                "see `distill-duck health`)"
            )
        if options.dry_run:
            return RunResult(summaries, timings, repaired, ignored_files=ignored, rows_written=rows_written)

        # hash the inputs and the outputs as they are now, beside DuckDB's work; from here
        # on an interrupt lets the run finish (export files, history, warehouse, receipt)
        with interrupts.deferred(), ThreadPoolExecutor(max_workers=1) as background:
            input_facts = background.submit(facts_of, root, inputs)
            before = facts_of(root, list(OUTPUTS))
            started = time.perf_counter()
            if progress:
                progress("writing export files")
            write_exports(lake, staged)
            timings["write_exports"] = time.perf_counter() - started
            run_id = record_runs(lake, summaries, options, started_at)
            bound.update(set_published_files(con, lake))
            timings.update(publish_warehouse(con, project, root, bound, keep, started_at, progress))
            after = facts_of(root, list(OUTPUTS) + [RUNS_HISTORY, WAREHOUSE])
            assertions = checks + appended_checks(before, after, rows_written)
            receipt = {
                "receipt_version": 1,
                "run_id": run_id,
                "tool": {"name": "distill-duck", "version": __version__},
                "exporters": list(exporters),
                "started_at": started_at,
                "finished_at": options.clock(),
                "duration_ms": round((time.perf_counter() - clock_start) * 1000, 1),
                "root": str(root),
                "options": options.recorded(),
                "project": project.project_facts(),
                "git": git,
                "inputs": [{"file": rel, **(facts or {})} for rel, facts in input_facts.result().items()],
                "outputs": [{"file": rel, "before": before.get(rel), "after": after[rel],
                             "rows_written": rows_written.get(rel, 0)} for rel in after],
                "repaired": repaired,
                "ignored_files": [{"file": f, "why": w} for f, w in con.execute(
                    "SELECT file, why FROM ignored_files ORDER BY file").fetchall()],
                "summaries": summaries,
                "input_cache": {name: {"files": len(bound[cache.files_variable(name)]), "parsed": n}
                                for name, n in cache.parsed.items()},
                "category_counts": {
                    (cat if cat is not None else "(none)"): n
                    for cat, n in con.execute("SELECT category, records FROM category_counts").fetchall()
                },
                "timings_ms": timings_ms(timings, exporters),
                "validation": {"passed": all(a["passed"] for a in assertions), "assertions": assertions},
            }
            receipt_path = write_receipt(root, receipt)
        return RunResult(summaries, timings, repaired, receipt_path, receipt, ignored_files=ignored,
                         rows_written=rows_written)
    finally:
        con.close()
        for path in scratch:
            path.unlink(missing_ok=True)
            Path(f"{path}.wal").unlink(missing_ok=True)
        for directory in scratch_dirs:
            shutil.rmtree(directory, ignore_errors=True)


def stage_exports(con: duckdb.DuckDBPyConnection, exports: Sequence[Model],
                  stage_dir: Path) -> tuple[dict[str, Path], dict[str, int]]:
    """COPY every export model's new lines to a scratch file under stage_dir, at the
    target's relative path (the warehouse's quarantine relation names a row's file by its
    name). Returns the scratch file of each target that gets lines, and rows per target."""
    staged: dict[str, Path] = {}
    rows_written: dict[str, int] = {}
    for model in exports:
        target = str(model.config.export)
        path, rows_written[target] = stage_export(con, model, stage_dir / target)
        if rows_written[target]:
            staged[target] = path
    return staged, rows_written


def write_exports(lake: Lakehouse, staged: Mapping[str, Path]) -> None:
    """Append every staged file's lines to its output file."""
    # quarantine files first: if a crash falls between the two, the re-run still sees the
    # dataset without the new ids and re-derives the same duplicate_id rows, so it
    # converges to the bytes of an uninterrupted run
    quarantine_first = sorted(staged, key=lambda rel: rel not in QUARANTINE_FILES)
    # two phases: every new file version is written and synced beside its target first, so
    # a failing write (permissions, a full disk) changes nothing; only then are they renamed
    # in, each rename atomic
    prepared: list[tuple[Path, Path]] = []
    try:
        for rel in quarantine_first:
            tmp = prepare_append(lake.path(rel), staged[rel])
            if tmp is not None:
                prepared.append((tmp, lake.path(rel)))
    except BaseException:
        for tmp, _ in prepared:
            tmp.unlink(missing_ok=True)
        raise
    for tmp, target_path in prepared:
        commit(tmp, target_path)


def build_warehouse(con: duckdb.DuckDBPyConnection, project: Project, root: Path,
                    bound: dict[str, list[Path] | str],
                    progress: Progress | None) -> tuple[set[str], dict[str, float]]:
    """Build the warehouse relations whose sources changed (all but ``runs``, which reads
    the run history this run has yet to write) and the receipt models. Relations whose
    sources did not change are carried over from the previous warehouse, which stays
    attached for publish_warehouse. Returns the carried-over names and the timings."""
    prints = fingerprints(project, project.published(), bound)
    previous = attach_previous(con, root)
    keep = {name for name, fp in prints.items() if previous.get(name) == fp and name != "runs"}
    for name in sorted(keep):
        if project.models[name].stage == "warehouse":
            con.execute(f"CREATE OR REPLACE VIEW {ident(name)} AS SELECT * FROM {PREVIOUS}.{ident(name)}")
    models = [m.name for m in project.models.values()
              if m.stage == "receipts" or (m.stage == "warehouse" and m.name not in keep | {"runs"})]
    return keep, project.run(con, models, progress=progress, upstream=False)


def publish_warehouse(con: duckdb.DuckDBPyConnection, project: Project, root: Path,
                      bound: dict[str, list[Path] | str], keep: set[str], built_at: str,
                      progress: Progress | None) -> dict[str, float]:
    """After the export files are in place: build ``runs`` and publish warehouse.duckdb,
    fingerprinting each relation by the files as they now are."""
    timings = project.run(con, ["runs"], progress=progress, upstream=False)
    started = time.perf_counter()
    if progress:
        progress("publishing warehouse.duckdb")
    published = project.published()
    publish(con, root, published, fingerprints(project, published, bound), keep, built_at=built_at)
    timings["publish_warehouse"] = time.perf_counter() - started
    return timings


def timings_ms(timings: dict[str, float], exporters: Sequence[str]) -> dict[str, dict[str, float]]:
    """The receipt's timings: every model and stage, and each exporter's own models summed."""
    return {
        "models": {k: round(v * 1000, 1) for k, v in timings.items()},
        "exporters": {e: round(sum(v for k, v in timings.items() if k.startswith(f"{e}_")) * 1000, 1)
                      for e in exporters},
    }


def run_checks(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """The run_checks model's assertions (firewall, unique ids, accounting)."""
    cur = con.execute("SELECT name, passed, detail FROM run_checks ORDER BY name")
    return [{"name": n, "passed": bool(p), "detail": d} for n, p, d in cur.fetchall()]


def appended_checks(before: dict[str, dict[str, Any] | None], after: dict[str, dict[str, Any] | None],
                    rows_written: dict[str, int]) -> list[dict[str, Any]]:
    """After the renames: each output grew by exactly the rows the run wrote."""
    checks = []
    for rel in OUTPUTS:
        grew = (after.get(rel) or {}).get("lines", 0) - (before.get(rel) or {}).get("lines", 0)
        checks.append({"name": f"appended:{rel}", "passed": grew == rows_written.get(rel, 0),
                       "detail": f"{grew} lines added, {rows_written.get(rel, 0)} rows written"})
    return checks


def run_models(
    root: Path,
    select: Sequence[str] | None,
    options: RunOptions,
    progress: Progress | None = None,
) -> dict[str, float]:
    """Run models (all, or the selected ones and what they read) into the warehouse file.
    Export files are not touched: the export-* commands write those."""
    lake = Lakehouse(root)
    project = Project(options.context(), project=options.project)
    storage_version()
    project.ordered(select)  # an unknown name is a bad invocation: refused before the lock is made
    if select is None:
        # every model but those that belong to a command of their own: `health` audits with
        # the files it lists, `dataset` reads a folder's worth of options
        select = [m.name for m in project.ordered() if m.stage.split("/")[0] not in OWN_COMMAND_STAGES]
    with root_lock(root):
        return _run_models(lake, project, select, interrupts.hooked(progress))


def _run_models(
    lake: Lakehouse,
    project: Project,
    select: Sequence[str] | None,
    progress: Progress | None,
) -> dict[str, float]:
    root = lake.root
    con = connect(spill_dir=root / ".distill_duck" / "spill")
    try:
        existing = [p for p in OUTPUTS if lake.path(p).is_file()]
        project.install_macros(con)
        _, bound = set_inputs(con, lake, existing)
        timings = project.run(con, select, progress=progress)
        models = project.ordered(select)
        prints = fingerprints(project, models, bound)
        # a selection adds or replaces its own relations: every other relation of the
        # current warehouse (what export runs published, earlier selections) is carried over
        previous = attach_previous(con, root)
        ran = {m.name for m in models}
        kept = [project.models[n] for n in sorted(previous) if n not in ran and n in project.models]
        prints.update({m.name: previous[m.name] for m in kept})
        publish(con, root, models + kept, prints, keep={m.name for m in kept}, built_at=now_iso())
        return timings
    finally:
        con.close()


def record_runs(lake: Lakehouse, summaries: dict[str, dict[str, Any]], options: RunOptions,
                started_at: str) -> str:
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
    append_atomically(lake.path(RUNS_HISTORY), lines.encode("utf-8"))
    return run_id


def stage_export(con: duckdb.DuckDBPyConnection, model: Model, scratch: Path) -> tuple[Path, int]:
    """COPY a model's new lines to ``scratch``. Returns (scratch, rows)."""
    relation = ident(model.name)
    row = con.execute(f"SELECT count(*), count(*) FILTER (WHERE jsonl IS NULL) FROM {relation}").fetchone()
    rows, nulls = row if row else (0, 0)
    if nulls:
        raise DistillError(
            f"model {model.name!r} built {nulls} empty lines; nothing was written "
            "(this is a bug: please report it with the input that caused it)"
        )
    scratch.parent.mkdir(parents=True, exist_ok=True)
    try:
        # One thread, order not tracked: the table is scanned in its stored (input) order
        # and each row goes straight to the file. With order tracking DuckDB formats a
        # whole row group (~120k rows, hundreds of MB of text) in memory before writing it.
        threads = con.execute("SELECT current_setting('threads')").fetchone()[0]
        con.execute("SET threads = 1")
        con.execute("SET preserve_insertion_order = false")
        try:
            con.execute(
                f"COPY (SELECT jsonl FROM {relation}) TO {lit(str(scratch))} "
                "(FORMAT csv, HEADER false, QUOTE '', ESCAPE '', DELIMITER '\x1f')"
            )
        finally:
            con.execute("RESET preserve_insertion_order")
            con.execute(f"SET threads = {int(threads)}")
        return scratch, rows
    except duckdb.Error as e:
        raise duckdb_failure(e, f"writing {scratch.name} failed: {' '.join(str(e).split())}") from e


def read_summary(con: duckdb.DuckDBPyConnection, exporter: str, options: RunOptions) -> dict[str, Any]:
    cur = con.execute(f'SELECT * FROM "{exporter}_summary"')
    row = cur.fetchone()
    assert row is not None and cur.description is not None
    values = dict(zip([d[0] for d in cur.description], row, strict=True))
    values["dry_run"] = options.dry_run
    values["quarantine_by_reason"] = dict(sorted(json.loads(values["quarantine_by_reason"]).items()))
    keys = SUMMARY_KEYS + (PREFERENCE_KEYS if exporter == "preference" else ())
    summary = {k: values[k] for k in keys}
    if options.safety.context()["redact_secrets"]:  # SPEC 12.1: rows exported with secrets redacted
        summary["records_redacted"] = values["records_redacted"]
    summary["safety_gates"] = options.safety.settings()
    return summary


__all__ = ["DATASETS", "EXPORTERS", "QUARANTINES", "RunOptions", "RunResult", "run_exporters"]
