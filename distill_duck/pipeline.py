"""The export run: select the models, run the graph in its phases, commit what was prepared.

All record-level work happens in the SQL models. A run builds, in order:
1. the chosen exporters' ``export`` and summary models (and what they read): each export
   model's new lines are staged beside the run (export_files.py);
2. the ``publish`` models over the output files as they will be, and the ``check`` models
   on them: a failed check stops the run with nothing written;
3. after the staged lines are appended: the models reading what only now exists (the run
   history, each file's growth), then the warehouse file is published and the receipt written.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from distill_duck import __version__, interrupts
from distill_duck.bindings import RUNS_VARIABLE, Bound, set_inputs, set_published_files
from distill_duck.errors import DistillError
from distill_duck.export_files import STAGE_PREFIX, Staging, write_exports
from distill_duck.exporters import Exporters, check_unknown
from distill_duck.input_cache import CACHE_FILE, InputCache
from distill_duck.lakehouse import RUNS_HISTORY, WAREHOUSE, Lakehouse
from distill_duck.lock import root_lock
from distill_duck.memo import Memos
from distill_duck.outputs import remove_stale_scratch, repair_torn
from distill_duck.receipts import FACTS_FILE, FactsCache, facts_of, git_state, write_receipt
from distill_duck.run_history import record_runs
from distill_duck.runner import Model, Project, build_table
from distill_duck.session import RunOptions, connect, now_iso
from distill_duck.sqlquote import bind_variables, ident
from distill_duck.warehouse import PREVIOUS, attach_previous, fingerprints, publish, storage_version

# told the stage a run is in: "inputs/scored_lines", "writing export files", ...
Progress = Callable[[str], None]
# what the receipt reads by name besides the summaries
RECEIPT_MODELS = ("category_counts", "ignored_files")
# bound only once the staged lines are appended: each output file's growth (appended_checks)
GROWTH_VARIABLE = "output_growth"
AFTER_WRITE = frozenset({RUNS_VARIABLE, GROWTH_VARIABLE})


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


class CarryOver:
    """The publish strategy of an export run: a relation whose sources did not change is
    the previous warehouse's (a view of the attached file, copied over on publish); any
    other is built."""

    def __init__(self, keep: set[str]):
        self.keep = keep

    def __call__(self, con: duckdb.DuckDBPyConnection, model: Model) -> None:
        if model.name in self.keep:
            con.execute(f"CREATE OR REPLACE VIEW {ident(model.name)} AS "
                        f"SELECT * FROM {PREVIOUS}.{ident(model.name)}")
        else:
            build_table(con, model)


def after_write(project: Project, model: Model) -> bool:
    """Whether a model (or what it reads) needs what a run has only once its lines are
    appended (the run history, each file's growth)."""
    return any(m.variables & AFTER_WRITE for m in project.ordered([model.name]))


def phase_models(project: Project, *kinds: str, later: bool) -> list[Model]:
    """The models of these materializations built before the write (later=False) or after."""
    return [m for k in kinds for m in project.of_kind(k) if after_write(project, m) == later]


def phase_one(project: Project, names: Sequence[str]) -> list[str]:
    """What phase 1 of an export run builds: the exporters' export and summary models, what
    the receipt reads, and the published input relations (scored_runs, input_errors, ...)."""
    select = [m.name for m in project.exporter_models(names)] + list(RECEIPT_MODELS)
    return select + [m.name for m in project.published() if m.config.materialized != "publish"]


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
    names: Sequence[str],
    options: RunOptions,
    state_dir: Path,
    progress: Progress | None,
) -> RunResult:
    started_at = options.clock()
    clock_start = time.perf_counter()
    git = None if options.dry_run else git_state(root)  # as it was before this run wrote
    lake = Lakehouse(root)
    project = Project(options.context(), project=options.project)
    exporters = project.exporters
    check_unknown(exporters, names)
    outputs = exporters.outputs
    if not options.dry_run:
        # under the lock: whatever a killed run left half-made goes first
        remove_stale_scratch(root, sorted({lake.path(rel).parent for rel in outputs}
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
            for rel in outputs:
                done = repair_torn(lake.path(rel), check)
                if done:
                    repaired[rel] = done
        # a dry run previews the next run, so it reads the existing outputs too (SPEC 3); a
        # torn last line it cannot repair is skipped by the readers (a JSON object is read
        # whole), which is what the repair would leave
        existing = [p for p in outputs if lake.path(p).is_file()]
        inputs, bound = set_inputs(con, lake, exporters, existing, options.safety, state_dir,
                                   options.recorded_at)
        # parsed partition files are kept between runs under the root (not for dry runs,
        # which write nothing there, nor where DuckDB cannot keep a file: see work_dir)
        if work_dir == state_dir and not options.dry_run:
            cache_path = state_dir / CACHE_FILE
        else:
            cache_path = work_dir / f"distill-duck-input-cache-{os.getpid()}.duckdb"
            scratch.append(cache_path)
        cache = InputCache(con, cache_path, project, bound)

        # phase 1: the exporters' models; each export model's new lines go to a scratch
        # file, and the run's checks (firewall, unique ids, accounting) run on the files as
        # they would become: a model that loses or lets through rows fails in phase 2,
        # before anything is renamed in, dry run or not
        stage_dir = Path(tempfile.mkdtemp(prefix=STAGE_PREFIX, dir=state_dir))
        scratch_dirs.append(stage_dir)
        staging = Staging(stage_dir)
        select = phase_one(project, names)
        if options.engine == "spark":
            from distill_duck.engines.spark_run import run_on_spark
            from distill_duck.engines.spark_session import spark_session

            # Spark parses every partition each run: the input cache and the memo are DuckDB's
            timings = run_on_spark(spark_session(options.spark_master), project, con, select, bound,
                                   staging.stage, progress)
        else:
            memos = Memos(project)
            timings = project.run(con, select, progress=progress,
                                  strategies={"incremental": cache.strategy, "export": staging,
                                              "memo": memos.memo, "table": memos.table})
        summaries = {e: read_summary(con, exporters, e, options) for e in names}
        ignored = list(bound["ignored_paths"])

        # phase 2: the warehouse relations and the checks, over the files as staged
        bound.update(set_published_files(con, lake, exporters, staging.staged))
        bind_variables(con, {"run_summaries": json.dumps(
            {e: s for e, s in summaries.items() if exporters[e].counts == "records"})})
        keep, more = build_warehouse(con, project, root, bound, progress)
        timings.update(more)
        checks = read_checks(con, phase_models(project, "check", later=False))
        failed = [c for c in checks if not c["passed"]]
        if failed:
            raise DistillError(
                f"the run failed {len(failed)} checks on the rows it prepared, so nothing was written: "
                + "; ".join(f"{c['name']} ({c['detail']})" for c in failed)
                + " (a model under sql/ loses or lets through rows, or an output file was edited: "
                "see `distill-duck health`)"
            )
        if options.dry_run:
            return RunResult(summaries, timings, repaired, ignored_files=ignored,
                             rows_written=staging.rows_written)

        # phase 3: hash the inputs and the outputs as they are now, beside DuckDB's work;
        # from here on an interrupt lets the run finish (export files, history, warehouse,
        # receipt)
        with interrupts.deferred(), ThreadPoolExecutor(max_workers=1) as background:
            known = FactsCache(state_dir / FACTS_FILE)  # files hashed by an earlier run
            input_facts = background.submit(facts_of, root, inputs, known)
            before = facts_of(root, list(outputs), known)
            started = time.perf_counter()
            if progress:
                progress("writing export files")
            # the input cache keeps the rows of what is written, committed with the write
            with cache.appending(lake, stage_dir, staging.staged):
                write_exports(lake, staging.staged, frozenset(exporters.quarantine_files))
            timings["write_exports"] = time.perf_counter() - started
            run_id = record_runs(lake, summaries, options, started_at)
            after = facts_of(root, list(outputs) + [RUNS_HISTORY], known)
            bound.update(set_published_files(con, lake, exporters))
            bind_variables(con, {GROWTH_VARIABLE: json.dumps([
                {"file": rel, "before": (before.get(rel) or {}).get("lines", 0),
                 "after": (after.get(rel) or {}).get("lines", 0),
                 "written": staging.rows_written.get(rel, 0)} for rel in outputs])})
            timings.update(publish_warehouse(con, project, root, bound, keep, started_at, progress))
            after.update(facts_of(root, [WAREHOUSE]))
            assertions = checks + read_checks(con, phase_models(project, "check", later=True))
            receipt = {
                "receipt_version": 1,
                "run_id": run_id,
                "tool": {"name": "distill-duck", "version": __version__},
                "exporters": list(names),
                "started_at": started_at,
                "finished_at": options.clock(),
                "duration_ms": round((time.perf_counter() - clock_start) * 1000, 1),
                "root": str(root),
                "options": options.recorded(),
                "project": project.project_facts(),
                "git": git,
                "inputs": [{"file": rel, **(facts or {})} for rel, facts in input_facts.result().items()],
                "outputs": [{"file": rel, "before": before.get(rel), "after": after[rel],
                             "rows_written": staging.rows_written.get(rel, 0)} for rel in after],
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
                "timings_ms": timings_ms(project, timings, names),
                "validation": {"passed": all(a["passed"] for a in assertions), "assertions": assertions},
            }
            receipt_path = write_receipt(root, receipt, exporters)
            known.save()
        return RunResult(summaries, timings, repaired, receipt_path, receipt, ignored_files=ignored,
                         rows_written=staging.rows_written)
    finally:
        con.close()
        for path in scratch:
            path.unlink(missing_ok=True)
            Path(f"{path}.wal").unlink(missing_ok=True)
        for directory in scratch_dirs:
            shutil.rmtree(directory, ignore_errors=True)


def build_warehouse(con: duckdb.DuckDBPyConnection, project: Project, root: Path, bound: Bound,
                    progress: Progress | None) -> tuple[set[str], dict[str, float]]:
    """Build the publish models whose sources changed (all but those needing what only
    exists after the write) and the checks. Relations whose sources did not change are
    carried over from the previous warehouse, which stays attached for publish_warehouse.
    Returns the carried-over names and the timings."""
    prints = fingerprints(project, project.published(), bound)
    previous = attach_previous(con, root)
    keep = {name for name, fp in prints.items() if previous.get(name) == fp}
    models = [m.name for m in phase_models(project, "publish", "check", later=False)]
    return keep, project.run(con, models, progress=progress, upstream=False,
                             strategies={"publish": CarryOver(keep)})


def publish_warehouse(con: duckdb.DuckDBPyConnection, project: Project, root: Path, bound: Bound,
                      keep: set[str], built_at: str, progress: Progress | None) -> dict[str, float]:
    """After the export files are in place: build the models that read what the write
    made (the run history, the checks of each file's growth) and publish warehouse.duckdb,
    fingerprinting each relation by the files as they now are."""
    published = project.published()
    prints = fingerprints(project, published, bound)
    later = phase_models(project, "publish", "check", later=True)
    keep = keep - {m.name for m in later}
    timings = project.run(con, [m.name for m in later], progress=progress, upstream=False,
                          strategies={"publish": CarryOver(set())})
    started = time.perf_counter()
    if progress:
        progress("publishing warehouse.duckdb")
    publish(con, root, published, prints, keep, built_at=built_at)
    timings["publish_warehouse"] = time.perf_counter() - started
    return timings


def timings_ms(project: Project, timings: dict[str, float],
               names: Sequence[str]) -> dict[str, dict[str, float]]:
    """The receipt's timings: every model and stage, and for each exporter the models only
    it needs (what its export and summary models read that no other exporter's do)."""
    needs = {e: {m.name for m in project.ordered([x.name for x in project.exporter_models([e])])}
             for e in names}
    return {
        "models": {k: round(v * 1000, 1) for k, v in timings.items()},
        "exporters": {e: round(sum(v for k, v in timings.items() if k in needs[e]
                                   and not any(k in needs[o] for o in names if o != e)) * 1000, 1)
                      for e in names},
    }


def read_checks(con: duckdb.DuckDBPyConnection, models: Sequence[Model]) -> list[dict[str, Any]]:
    """The assertions of check models (one row each: name, passed, detail)."""
    checks = []
    for model in models:
        cur = con.execute(f"SELECT name, passed, detail FROM {ident(model.name)} ORDER BY name")
        checks += [{"name": n, "passed": bool(p), "detail": d} for n, p, d in cur.fetchall()]
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
        select = [m.name for m in project.ordered() if m.config.command is None]
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
        existing = [p for p in project.exporters.outputs if lake.path(p).is_file()]
        project.install_macros(con)
        _, bound = set_inputs(con, lake, project.exporters, existing,
                              recorded_at=project.context.get("recorded_at"))
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


def read_summary(con: duckdb.DuckDBPyConnection, exporters: Exporters, name: str,
                 options: RunOptions) -> dict[str, Any]:
    exporter = exporters[name]
    cur = con.execute(f"SELECT * FROM {ident(exporter.summary)}")
    row = cur.fetchone()
    assert row is not None and cur.description is not None
    values = dict(zip([d[0] for d in cur.description], row, strict=True))
    values["dry_run"] = options.dry_run
    values["quarantine_by_reason"] = dict(sorted(json.loads(values["quarantine_by_reason"]).items()))
    summary = {k: values[k] for k in exporter.summary_keys}
    if options.safety.context()["redact_secrets"]:  # SPEC 12.1: rows exported with secrets redacted
        summary["records_redacted"] = values["records_redacted"]
    summary["safety_gates"] = options.safety.settings()
    return summary


__all__ = ["RunOptions", "RunResult", "run_exporters", "run_models"]
