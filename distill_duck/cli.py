"""The distill-duck command line (SPEC section 11)."""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import sys
import textwrap
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import duckdb

from distill_duck import __version__, interrupts
from distill_duck import exporters as declared
from distill_duck.engines import DEFAULT as DEFAULT_ENGINE
from distill_duck.engines import ENGINES
from distill_duck.errors import EXIT_INTERRUPTED, EXIT_OK, DistillError, UsageError, exit_code_of
from distill_duck.exporters import Exporters
from distill_duck.lakehouse import resolve_root
from distill_duck.pipeline import run_exporters, run_models
from distill_duck.safety import SafetyGates
from distill_duck.session import RunOptions

T = TypeVar("T")
ISO_8601 = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$"
)

DESCRIPTION = """\
Turn logged LLM-agent runs into clean training data: a RAG corpus, an SFT set and a
preference set, behind a contamination firewall. Refused inputs land in
exports/quarantine/ with a structured reason; nothing is dropped silently.

The root (--root, else $LH_DISTILL_ROOT, else the current directory) holds
data/scored-runs/YYYY/MM/DD/*.jsonl and data/evidence/YYYY/MM/DD/*.jsonl."""

EXPORT_ALL = "export-all"
# what every export command does besides writing rows
EXPORT_EPILOG = (
    "Files already parsed are read from <root>/.distill_duck/input_cache.duckdb (only new or "
    "changed partition files are parsed; deleting the folder is safe), and warehouse relations "
    "whose sources did not change are carried over. A real run also writes "
    "<root>/warehouse.duckdb, reports/distillation/runs.jsonl and a receipt."
)


DATASET_DESCRIPTION = """\
Write the export files (every row of every run) as a folder that Hugging Face datasets,
TRL, LlamaFactory and OpenAI-style fine-tuning services load without a conversion script:

  OUT/README.md                         dataset card: configs sft, preference, rag
  OUT/data/<config>/<split>.parquet     TRL-ready rows (messages; prompt/chosen/rejected)
  OUT/openai/sft.<split>.jsonl          OpenAI-style chat fine-tuning lines
  OUT/openai/dpo.<split>.jsonl          OpenAI-style preference lines
  OUT/dataset_info.json                 LlamaFactory: <name>_<config>_<split>
  OUT/llamafactory/preference.<split>.jsonl
  OUT/receipt.json                      sha256 of the inputs, rows per config and split

Splits are by task: every row of a task lands in the same split, decided by its task id
alone, so a task never changes split as rows arrive. RAG rows are all in train."""

DATASET_EPILOG = (
    "The folder is built beside OUT and renamed into place; the export files are never changed. "
    "An OUT that exists must be a folder this command wrote (or empty)."
)


class Parser(argparse.ArgumentParser):
    """argparse with the one-line errors of SPEC section 11 (exit 2)."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see `{self.prog} --help`)")


def _recorded_at(value: str) -> str:
    """An ISO-8601 timestamp whose date and time exist; written into rows exactly as given."""
    match = ISO_8601.match(value)
    try:
        # fromisoformat takes at most microseconds; the check only needs the date and time to exist
        if match:
            datetime.fromisoformat(re.sub(r"(\.\d{6})\d+", r"\1", value).replace("Z", "+00:00"))
    except ValueError:
        match = None
    if not match:
        raise argparse.ArgumentTypeError(
            f"--recorded-at {value!r} is not an ISO-8601 timestamp like 2026-04-27T03:57:40.123Z"
        )
    return value


def _whole_number(flag: str) -> Callable[[str], int]:
    """An argparse type: a whole number >= 1, the error naming the flag."""
    def parse(value: str) -> int:
        try:
            n = int(value)
        except ValueError:
            n = 0
        if n < 1:
            raise argparse.ArgumentTypeError(f"{flag} must be a whole number >= 1, not {value!r}")
        return n

    return parse


_positive = _whole_number("--max-pairs-per-task")


def _split_fraction(flag: str) -> Callable[[str], float]:
    def parse(value: str) -> float:
        try:
            f = float(value)
        except ValueError:
            f = -1.0
        if not 0 <= f < 1:
            raise argparse.ArgumentTypeError(f"{flag} must be a number from 0 up to (not including) 1, "
                                             f"not {value!r}")
        return f

    return parse


def _add_root(p: argparse.ArgumentParser) -> None:
    p.add_argument("--root", metavar="DIR", help="lakehouse root (default: $LH_DISTILL_ROOT or .)")


def _add_project(p: argparse.ArgumentParser) -> None:
    p.add_argument("--project", metavar="DIR", type=Path,
                   help="your models: DIR/sql/<folder>/<name>.sql adds a model, or replaces the "
                   "built-in model of that name (see `distill-duck models --project DIR`)")


def _add_engine(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group(
        "engine", "Where the models that read the records run (an export's, or the dataset's). "
        "Both engines write the same bytes "
        "(README: Beyond one machine).")
    g.add_argument("--engine", choices=ENGINES, default=DEFAULT_ENGINE,
                   help="duckdb (default: in this process) or spark (needs the spark extra)")
    g.add_argument("--spark-master", metavar="URL",
                   help="with --engine spark: the cluster (default: $SPARK_MASTER, else local[2])")


# the flag of each run option an exporter may name in exporters.toml (`options`)
RUN_FLAGS: dict[str, tuple[str, dict[str, Any]]] = {
    "include_review": ("--include-review", {
        "action": "store_true", "help": "RAG: also export needs_human_review runs (rejected never)"}),
    "include_partial": ("--include-partial", {
        "action": "store_true",
        "help": "SFT: also export partially_accepted runs (rejected and needs_human_review never)"}),
    "max_pairs_per_task": ("--max-pairs-per-task", {
        "metavar": "N", "type": _positive, "default": 5,
        "help": "preference: candidate pairs per task (default 5)"}),
}
assert set(RUN_FLAGS) == set(declared.RUN_OPTIONS)


def _add_run_options(p: argparse.ArgumentParser, exporters: Sequence[declared.Exporter]) -> None:
    """The run options of SPEC section 3, shared by the export commands and `run`; each
    export command shows only the options of its own exporters (exporters.toml)."""
    p.add_argument("--recorded-at", metavar="ISO", type=_recorded_at,
                   help="timestamp written into every row (default: now, UTC); "
                   "fix it for reproducible runs")
    wanted = {o for e in exporters for o in e.options}
    for option in declared.RUN_OPTIONS:
        if option in wanted:
            flag, kwargs = RUN_FLAGS[option]
            p.add_argument(flag, **kwargs)


def _fraction(value: str) -> float:
    try:
        f = float(value)
    except ValueError:
        f = -1.0
    if not 0 < f <= 1:
        raise argparse.ArgumentTypeError(
            f"--near-duplicate-threshold must be a number in (0, 1], not {value!r}")
    return f


_ngram = _whole_number("--decontaminate-ngram")


def _add_safety_options(p: argparse.ArgumentParser) -> None:
    """The safety gates of SPEC section 12, shared by the export commands and `run`."""
    g = p.add_argument_group(
        "safety gates (SPEC 12)",
        "After an exporter's own gates, in this order: secrets, file paths, benchmark contamination, "
        "exact duplicates, near duplicates. Secrets and both duplicate gates run by default; the "
        "path and contamination gates run when given their reference data.")
    g.add_argument("--no-safety-gates", action="store_true",
                   help="turn every safety gate off (outputs exactly as SPEC sections 1-11 define)")
    g.add_argument("--no-secret-gate", action="store_true", help="do not look for credentials")
    g.add_argument("--redact-secrets", action="store_true",
                   help="export texts with each credential replaced by [REDACTED:<kind>] instead of "
                   "quarantining them (counted as records_redacted)")
    g.add_argument("--repo-manifest", metavar="FILE",
                   help="quarantine records whose source_files are not in FILE "
                   "(one repository path per line, as `git ls-files` prints)")
    g.add_argument("--repo", metavar="DIR",
                   help="like --repo-manifest, with the files git tracks in the work tree DIR")
    g.add_argument("--decontaminate", metavar="FILE", nargs="+", default=[],
                   help="evaluation sets: quarantine texts sharing a word n-gram with any item "
                   "(.jsonl: each string value of each object; other files: each non-blank line)")
    g.add_argument("--decontaminate-ngram", metavar="N", type=_ngram, default=13,
                   help="the n of --decontaminate (default 13)")
    g.add_argument("--no-duplicate-gate", action="store_true",
                   help="do not quarantine texts repeating an earlier row (after whitespace normalisation)")
    g.add_argument("--no-near-duplicate-gate", action="store_true",
                   help="do not quarantine near duplicates (word 5-gram Jaccard similarity)")
    g.add_argument("--near-duplicate-threshold", metavar="F", type=_fraction, default=0.8,
                   help="similarity at or above which texts are near duplicates (default 0.8)")


def export_commands(exporters: Exporters) -> dict[str, tuple[str, list[declared.Exporter]]]:
    """export-<name> for each declared exporter, then export-all: help text and exporters."""
    commands = {e.command: (f"{e.help} to {e.dataset}", [e]) for e in exporters.values()}
    commands[EXPORT_ALL] = (f"run all {len(exporters)} exporters ({', '.join(exporters)}) over one "
                            "read of the inputs", list(exporters.values()))
    return commands


def _project_of(argv: Sequence[str]) -> Path | None:
    """--project DIR, read before the parser is built: a project may declare exporters,
    which become commands of their own."""
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--project", type=Path)
    known, _ = pre.parse_known_args(argv)
    return known.project


def project_exporters(project: Path | None) -> Exporters:
    """The built-in exporters and those a --project folder declares (as its runs see them)."""
    from distill_duck.runner import Project

    return Project(project=project).exporters


def build_parser(exporters: Exporters | None = None) -> Parser:
    exporters = exporters if exporters is not None else declared.builtin()
    parser = Parser(prog="distill-duck", description=DESCRIPTION,
                    formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"distill-duck {__version__}")
    # the declarations the commands were built from (the summary printer reads them)
    parser.set_defaults(declared=exporters)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    sub.required = True

    for name, (text, chosen) in export_commands(exporters).items():
        p = sub.add_parser(name, help=text, description=text[0].upper() + text[1:] + ".",
                           epilog=EXPORT_EPILOG)
        p.set_defaults(exporters=[e.name for e in chosen])
        _add_root(p)
        _add_project(p)
        _add_run_options(p, chosen)
        _add_safety_options(p)
        _add_engine(p)
        p.add_argument("--dry-run", action="store_true",
                       help="read everything, write nothing, report what a real run would do")
        p.add_argument("--json", action="store_true", help="print exactly one JSON summary object")

    p = sub.add_parser("health", help="audit the output files on disk; exit 1 on any violation",
                       description="Check every output file without changing it: each line a JSON object "
                       "of its schema, ids unique per file, no forbidden category in SFT or RAG, no "
                       "self-pairs or repeated texts in preference pairs, quarantine rows well-formed, "
                       "no torn lines. Exit 0 when all hold, 1 otherwise, naming each violation.")
    _add_root(p)
    p.add_argument("--json", action="store_true", help="print one JSON object {ok, files, violations}")

    p = sub.add_parser("query", help="run read-only SQL against <root>/warehouse.duckdb",
                       description="Run SQL against the warehouse, opened read-only (it never changes it).")
    _add_root(p)
    p.add_argument("sql", metavar="SQL",
                   help="the query, e.g. \"SELECT reason, count(*) FROM quarantine GROUP BY 1\"")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table", help="output format")

    p = sub.add_parser("report", help="write a self-contained HTML page of charts over the warehouse",
                       description="Write reports/distillation/report.html: the category mix, quarantine "
                       "reasons per exporter, exports per source class and input errors per file, as "
                       "charts in one file that needs no network to view.")
    _add_root(p)
    p.add_argument("--output", metavar="FILE",
                   help="where to write (default: reports/distillation/report.html)")

    p = sub.add_parser("run", help="run SQL models into <root>/warehouse.duckdb (no export files written)",
                       description="Run the SQL models (all, or --select ones and everything they read) "
                       "and publish their tables in <root>/warehouse.duckdb.")
    _add_root(p)
    _add_project(p)
    p.add_argument("--select", metavar="MODEL", nargs="+", help="models to run (with their upstream models)")
    _add_run_options(p, list(exporters.values()))
    _add_safety_options(p)

    p = sub.add_parser("models", help="list the SQL models in run order with their dependencies",
                       description="List the SQL models in run order: folder, name, how it is built "
                       "(config materialized: table, view, incremental, export, publish, check), the "
                       "models each reads, and the file an export model writes. Models of a --project "
                       "folder are marked (project) when added, (project, replaces built-in) when they "
                       "replace one.")
    _add_project(p)
    p.add_argument("--json", action="store_true", help="print the list as JSON")
    p = sub.add_parser("compile", help="print a model's rendered SQL",
                       description="Print a model's SQL as it runs: rendered with the default run "
                       "options (run-time values such as file lists are bound when it runs).")
    _add_project(p)
    # no --root: a model's SQL does not depend on the root (its files are bound when it runs)
    p.add_argument("model", help="model name (see `distill-duck models`)")

    p = sub.add_parser("dataset", help="write the export files as training-ready datasets into OUT",
                       description=DATASET_DESCRIPTION, epilog=DATASET_EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out", metavar="OUT", help="the folder to write (replaced whole if this command wrote it)")
    _add_root(p)
    p.add_argument("--eval-fraction", metavar="F", type=_split_fraction("--eval-fraction"), default=0.05,
                   help="share of tasks in the validation split (default 0.05)")
    p.add_argument("--test-fraction", metavar="F", type=_split_fraction("--test-fraction"), default=0.0,
                   help="share of tasks in the test split (default 0: no test split)")
    p.add_argument("--format", choices=("parquet", "jsonl"), default="parquet",
                   help="data files of the Hugging Face configs (default parquet; openai/ is always JSONL)")
    p.add_argument("--name", default="distill_duck",
                   help="dataset name: the card's pretty_name and LlamaFactory's <name>_sft_train "
                   "(default distill_duck)")
    p.add_argument("--license", default="other", help="license id for the card (default other)")
    _add_engine(p)
    p.add_argument("--json", action="store_true", help="print one JSON object {out, rows}")

    p = sub.add_parser("demo", help="write a deterministic sample lakehouse into DIR",
                       description="Write a sample lakehouse into DIR: dated evidence and scored-run "
                       "partitions with every kind of fault sprinkled in (malformed lines, missing "
                       "provenance, duplicates, misplaced files), the same bytes for the same --runs "
                       "and --seed. Then try `distill-duck export-all --root DIR`.")
    p.add_argument("dir", metavar="DIR",
                   help="where to write (created if missing; must be empty unless --force)")
    p.add_argument("--runs", type=int, default=2000, help="scored runs to generate (default 2000)")
    p.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    p.add_argument("--force", action="store_true",
                   help="write into DIR even when it is not empty (files of the same name are overwritten)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    with interrupts.watch() as watched:
        try:
            argv = sys.argv[1:] if argv is None else list(argv)
            args = build_parser(project_exporters(_project_of(argv))).parse_args(argv)
            code = dispatch(args)
            sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's exit
            return code
        except BrokenPipeError:
            # the reader went away (`| head`): a normal end. Point stdout at /dev/null so the
            # interpreter's final flush does not complain about the closed pipe.
            _silence_stdout()
            return EXIT_OK
        except interrupts.Interrupted as e:
            print(f"distill-duck: interrupted; {e}", file=sys.stderr)
            return EXIT_INTERRUPTED
        except Exception as e:
            # DuckDB reports an interrupted query as its own error: the interrupt decides
            if not watched.seen:
                return _failed(e)
        except KeyboardInterrupt:
            pass
        print("distill-duck: interrupted; outputs are as they were before the run", file=sys.stderr)
        return EXIT_INTERRUPTED


def _failed(e: Exception) -> int:
    """The one line and exit code of a failed command; unknown errors propagate."""
    if isinstance(e, DistillError):
        print(f"distill-duck: error: {e}", file=sys.stderr)
        return exit_code_of(e)
    if isinstance(e, OSError):
        # a write that fails (permissions, a full disk, a file where a folder belongs):
        # every output is changed by copy-and-rename, so nothing was half-written
        where = f" {e.filename}" if e.filename else ""
        print(f"distill-duck: error: cannot write{where}: {e.strerror or e}; outputs are as they were "
              "before the run (check permissions, free space, and that the path is a directory)",
              file=sys.stderr)
        return exit_code_of(e)
    if isinstance(e, duckdb.Error):
        # DuckDB failing outside a model (publishing, auditing): one line, never a traceback
        print(f"distill-duck: error: {' '.join(str(e).split())}", file=sys.stderr)
        return exit_code_of(e)
    raise e


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):
        pass  # not a real file descriptor (a test's captured stdout): nothing will flush to it


def dispatch(args: argparse.Namespace) -> int:
    if getattr(args, "exporters", None) is not None:  # export-<name>, export-all
        return cmd_export(args)
    if args.command == "run":
        return cmd_run(args)
    if args.command == "health":
        return cmd_health(args)
    if args.command == "query":
        return cmd_query(args)
    if args.command == "report":
        return cmd_report(args)
    if args.command == "models":
        return cmd_models(args)
    if args.command == "compile":
        return cmd_compile(args)
    if args.command == "dataset":
        return cmd_dataset(args)
    if args.command == "demo":
        return cmd_demo(args)
    raise UsageError(f"unknown command {args.command!r}")


def _safety(args: argparse.Namespace) -> SafetyGates:
    gates = SafetyGates(
        enabled=not args.no_safety_gates,
        secrets=not args.no_secret_gate,
        redact_secrets=args.redact_secrets,
        repo_manifest=args.repo_manifest,
        repo=args.repo,
        decontaminate=tuple(args.decontaminate),
        decontaminate_ngram=args.decontaminate_ngram,
        duplicates=not args.no_duplicate_gate,
        near_duplicates=not args.no_near_duplicate_gate,
        near_duplicate_threshold=args.near_duplicate_threshold,
    )
    gates.check()
    return gates


def _options(args: argparse.Namespace) -> RunOptions:
    if args.project is not None:
        from distill_duck.runner import Project

        Project(project=args.project)  # a bad project is refused before the run touches the root
    # an export command has only its own exporter's options
    return RunOptions(
        include_review=getattr(args, "include_review", False),
        include_partial=getattr(args, "include_partial", False),
        max_pairs_per_task=getattr(args, "max_pairs_per_task", 5),
        dry_run=getattr(args, "dry_run", False),
        safety=_safety(args),
        project=args.project,
        engine=getattr(args, "engine", DEFAULT_ENGINE),
        spark_master=getattr(args, "spark_master", None),
        **({"recorded_at": args.recorded_at} if args.recorded_at else {}),
    )


def cmd_run(args: argparse.Namespace) -> int:
    root = resolve_root(args.root)
    timings = with_progress(args, lambda progress: run_models(root, args.select, _options(args), progress))
    width = max(map(len, timings), default=0)
    for name, seconds in timings.items():
        print(f"{name:<{width}}  {seconds * 1000:8.1f} ms")
    print(f"published {len(timings)} relations to {root / 'warehouse.duckdb'}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    root = resolve_root(args.root)
    options = _options(args)
    exporters = args.exporters
    result = with_progress(args, lambda progress: run_exporters(root, exporters, options, progress))
    if args.json:
        out: Any = result.summaries if args.command == EXPORT_ALL else result.summaries[exporters[0]]
        print(json.dumps(out, ensure_ascii=False))
    else:
        for target, what in result.repaired.items():
            print(f"repaired torn last line of {target}: {what}")
        print(format_summaries(result.summaries, args.declared, result.rows_written))
        warn_ignored(result.ignored_files)
        if result.receipt_path is not None:
            print(f"receipt: {result.receipt_path.relative_to(root)}")
    if not result.validation_passed:
        assert result.receipt is not None
        failed = [a["name"] for a in result.receipt["validation"]["assertions"] if not a["passed"]]
        raise DistillError(f"the outputs failed {len(failed)} checks after the run ({', '.join(failed)}); "
                           f"see {result.receipt_path} and run `distill-duck health`")
    return 0


def warn_ignored(files: Sequence[str]) -> None:
    """One warning line on stderr when files under data/ are not partitions (SPEC section 1)."""
    if not files:
        return
    shown = ", ".join(files[:3]) + (f" and {len(files) - 3} more" if len(files) > 3 else "")
    print(f"distill-duck: warning: {len(files)} files under data/ are ignored (not "
          f"data/<scored-runs|evidence>/YYYY/MM/DD/<stem>.jsonl): {shown}; see ignored_files in "
          "warehouse.duckdb or the receipt", file=sys.stderr)


class StderrProgress:
    """The stage a run is in, on one rewritten stderr line; only on a terminal."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.width = 0

    def __call__(self, stage: str) -> None:
        text = f"distill-duck [{time.perf_counter() - self.started:6.1f}s] {stage}"
        sys.stderr.write("\r" + text.ljust(self.width))
        sys.stderr.flush()
        self.width = len(text)

    def done(self) -> None:
        if self.width:
            sys.stderr.write("\r" + " " * self.width + "\r")
            sys.stderr.flush()


def with_progress(args: argparse.Namespace, work: Callable[[StderrProgress | None], T]) -> T:
    """Run work with progress on stderr when it is a terminal, never in --json mode."""
    progress = None if getattr(args, "json", False) or not sys.stderr.isatty() else StderrProgress()
    try:
        return work(progress)
    finally:
        if progress:
            progress.done()


def format_summaries(summaries: dict[str, dict[str, Any]], exporters: Exporters,
                     rows_written: dict[str, int] | None = None) -> str:
    """The run summary for people: the counts, and for each output file what this run
    appended to it (on a dry run: would append) and what was already there."""
    rows_written = rows_written or {}
    lines = []
    for name, s in summaries.items():
        exporter = exporters[name]
        dry = s["dry_run"]
        head = f"{name}: read {s['records_read']} records from {s['scored_files_read']} files"
        if exporter.counts == "pairs":
            head += " (the counts below are of pairs of runs, not records)"
        if dry:
            head += " (dry run: nothing written)"
        lines.append(head)
        out, quarantine = s["output_path"], exporter.quarantine
        new_q = rows_written.get(quarantine, 0)
        lines.append(f"  exported          {s['records_exported']:>8}  "
                     + _written(out, rows_written.get(out, 0), 0, dry))
        lines.append(f"  quarantined       {s['records_quarantined']:>8}  "
                     + _written(quarantine, new_q, s["records_quarantined"] - new_q, dry))
        for reason, n in s["quarantine_by_reason"].items():
            lines.append(f"    {reason:<28}{n:>6}")
        skipped = f"  (already in {out})" if s["skipped_existing"] else ""
        lines.append(f"  skipped_existing  {s['skipped_existing']:>8}{skipped}")
        for x in exporter.extra:
            lines.append(f"  {x.label:<16}  {s[x.key]:>8}" + (f"  ({x.note})" if x.note else ""))
        lines.append(f"  input errors      {s['input_errors']:>8}  (see input_errors in warehouse.duckdb)")
    return "\n".join(lines)


def _written(target: str, new: int, already: int, dry: bool) -> str:
    """What a run did to one output file: rows appended, and rows it found already there."""
    if new == 0:
        return f"(nothing new for {target}" + (f"; all {already} already there)" if already else ")")
    text = f"-> {target} ({new} {'would be appended' if dry else 'appended'}"
    return text + (f", {already} already there)" if already else ")")


def cmd_health(args: argparse.Namespace) -> int:
    from distill_duck.health import audit

    report = audit(resolve_root(args.root))
    if args.json:
        print(json.dumps(report.as_json(), ensure_ascii=False))
    else:
        for f, n in report.files.items():
            print(f"{f}: {n} lines")
        for v in report.violations:
            print(f"{v['file']}:{v['line']}: {v['check']}: {v['message']}")
        print("healthy" if report.ok else f"{len(report.violations)} violations")
    return 0 if report.ok else 1


def cmd_query(args: argparse.Namespace) -> int:
    from distill_duck.query import query

    print(query(resolve_root(args.root), args.sql, args.format))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from distill_duck.report import build_report

    root = resolve_root(args.root)
    print(f"wrote {build_report(root, Path(args.output) if args.output else None)}")
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    from distill_duck.runner import Project

    project = Project(RunOptions().context(), project=args.project)
    models = project.ordered()
    facts = project.project_facts()
    replaced = {n for n, f in facts["models"].items() if f["replaces_built_in"]} if facts else set()
    if args.json:
        print(json.dumps([{"name": m.name, "stage": m.stage, "materialized": m.config.materialized,
                           "depends_on": list(m.depends_on),
                           **({"export": m.config.export} if m.config.export else {}),
                           **({"command": m.config.command} if m.config.command else {}),
                           **({"project": str(m.path), "replaces_built_in": m.name in replaced}
                              if m.origin == "project" else {})}
                          for m in models], indent=1))
        return 0
    width = max(len(m.name) for m in models)
    for m in models:
        deps = ", ".join(m.depends_on) or "-"
        extra = f"  => {m.config.export}" if m.config.export else ""
        if m.origin == "project":
            extra += "  (project, replaces built-in)" if m.name in replaced else "  (project)"
        print(f"{m.stage + '/':<12}{m.name:<{width}}  {m.config.materialized:<11}  <- {deps}{extra}")
    return 0


def cmd_compile(args: argparse.Namespace) -> int:
    from distill_duck.runner import Project

    project = Project(RunOptions().context(), project=args.project)
    if args.model not in project.models:
        raise UsageError(f"no model named {args.model!r}; `distill-duck models` lists them")
    print(project.models[args.model].sql)
    return 0


def cmd_dataset(args: argparse.Namespace) -> int:
    from distill_duck.dataset import DatasetOptions, build_dataset

    root = resolve_root(args.root)
    options = DatasetOptions(eval_fraction=args.eval_fraction, test_fraction=args.test_fraction,
                             format=args.format, name=args.name, license=args.license,
                             engine=args.engine, spark_master=args.spark_master)
    result = build_dataset(root, Path(args.out), options)
    if args.json:
        print(json.dumps({"out": str(result.out), "rows": result.rows}))
        return 0
    for config, per_split in result.rows.items():
        tasks = result.receipt["tasks"].get(config, {})
        parts = [f"{split} {n}" + (f" ({tasks[split]} tasks)" if split in tasks else "")
                 for split, n in per_split.items()]
        print(f"{config:<11} " + (", ".join(parts) or "no rows (the export file is empty or missing)"))
    print(f"wrote {args.out}: README.md (dataset card), data/, openai/, llamafactory/, dataset_info.json, "
          "receipt.json")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from distill_duck.demo import write_demo

    if args.runs < 1:
        raise UsageError("--runs must be at least 1")
    root = Path(args.dir)
    if root.exists() and not root.is_dir():
        raise UsageError(f"{args.dir!r} is a file; pass a directory for the demo lakehouse")
    if root.is_dir() and any(root.iterdir()) and not args.force:
        # writing into a lake would mix the sample's partitions with the user's
        raise UsageError(f"{args.dir!r} is not empty; pass an empty or new directory, "
                         "or --force to write the demo into it anyway")
    counts = write_demo(root, runs=args.runs, seed=args.seed)
    print(f"wrote a demo lakehouse to {root}:")
    faults = {k.removeprefix("fault:"): v for k, v in counts.items() if k.startswith("fault:")}
    for key, value in counts.items():
        if not key.startswith("fault:"):
            print(f"  {key:<16}{value:>10}")
    if faults:
        print("  faults sprinkled in (kind: occurrences):")
        print(textwrap.fill(", ".join(f"{kind}: {n}" for kind, n in faults.items()), width=96,
                            initial_indent="    ", subsequent_indent="    "))
    print(f"next: distill-duck export-all --root {root}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
