"""`distill-duck dataset OUT`: the export files as training-ready datasets (SPEC section 13).

The rows, their task ids and splits, and every file layout are SQL models under
``sql/datasets/``; this module binds the lakehouse's files, runs those models, COPYs each
config and split to a file in a new folder beside OUT, writes the dataset card,
LlamaFactory's ``dataset_info.json`` and a receipt, and renames the folder into place.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import duckdb

from distill_duck import __version__
from distill_duck.bindings import set_inputs
from distill_duck.engines import DEFAULT as DEFAULT_ENGINE
from distill_duck.engines import ENGINES
from distill_duck.errors import DistillError, UsageError
from distill_duck.exporters import builtin
from distill_duck.input_cache import CACHE_FILE, InputCache
from distill_duck.lakehouse import Lakehouse
from distill_duck.lock import root_lock
from distill_duck.outputs import fsync_path
from distill_duck.receipts import FACTS_FILE, FactsCache, facts_of, file_facts, latest_receipts
from distill_duck.runner import Model, Project, Strategy
from distill_duck.session import RunOptions, connect, now_iso
from distill_duck.sqlquote import ident, lit

CONFIGS = ("sft", "preference", "rag")
SPLITS = ("train", "validation", "test")
FORMATS = {"parquet": ("parquet", "(FORMAT parquet, COMPRESSION zstd)"), "jsonl": ("jsonl", "(FORMAT json)")}
RECEIPT = "receipt.json"
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
# the chat roles LlamaFactory's sharegpt reader is told about (our rows hold no system turn)
SHAREGPT_TAGS = {"role_tag": "role", "content_tag": "content",
                 "user_tag": "user", "assistant_tag": "assistant"}
ABOUT = {
    "sft": "one accepted run as a conversation: `messages` = a `user` turn (the instruction, then its "
           "context as a paragraph of its own) and an `assistant` turn (the run's output); with `id`, "
           "`task_id`, `quality_score`, `source_run_id`. TRL `SFTTrainer` trains on it as it is.",
    "preference": "two runs of one task: `prompt` (one `user` turn: what the chosen run was asked), "
                  "`chosen` and `rejected` (one `assistant` turn each); with `id`, `task_id`, `reason`. "
                  "TRL `DPOTrainer` (and `KTOTrainer`) train on it as it is.",
    "rag": "the retrieval corpus: one playbook per accepted run (`title`, `content`, `embedding_text`, "
           "`tags`, `source_run_id`, `source_category`, `created_at`); all rows are in `train`.",
}


@dataclass(frozen=True)
class DatasetOptions:
    eval_fraction: float = 0.05
    test_fraction: float = 0.0
    format: str = "parquet"
    name: str = "distill_duck"
    license: str = "other"
    # where the models run (distill_duck/engines); the files are written by DuckDB either way
    engine: str = DEFAULT_ENGINE
    spark_master: str | None = None

    def recorded(self) -> dict[str, Any]:
        """The options as the receipt keeps them (the engine only when it is not the default)."""
        values = asdict(self)
        del values["spark_master"]
        if self.engine == DEFAULT_ENGINE:
            del values["engine"]
        return values

    def check(self) -> None:
        for flag, value in (("--eval-fraction", self.eval_fraction), ("--test-fraction", self.test_fraction)):
            if not 0 <= value < 1:
                raise UsageError(f"{flag} must be at least 0 and below 1, not {value}")
        if self.eval_fraction + self.test_fraction >= 1:
            raise UsageError(f"--eval-fraction {self.eval_fraction} and --test-fraction {self.test_fraction} "
                             "leave nothing to train on; make their sum less than 1")
        if self.format not in FORMATS:
            raise UsageError(f"--format must be one of {', '.join(FORMATS)}, not {self.format!r}")
        if not NAME.match(self.name):
            raise UsageError(f"--name {self.name!r} must be letters, digits, '_', '.' or '-' "
                             "(it names LlamaFactory datasets like <name>_sft_train)")
        if self.engine not in ENGINES:
            raise UsageError(f"--engine must be one of {', '.join(ENGINES)}, not {self.engine!r}")
        if not NAME.match(self.license):
            raise UsageError(f"--license {self.license!r} must be a license id such as mit, "
                             "cc-by-4.0 or other")


@dataclass
class DatasetResult:
    out: Path
    rows: dict[str, dict[str, int]]
    receipt: dict[str, Any]


def build_dataset(root: Path, out: Path, options: DatasetOptions) -> DatasetResult:
    options.check()
    out = out.absolute()
    _check_target(out)
    lake = Lakehouse(root)
    project = Project({**RunOptions().context(), "eval_fraction": options.eval_fraction,
                       "test_fraction": options.test_fraction})
    exporters = project.exporters
    exports = [rel for rel in exporters.dataset_files if lake.path(rel).is_file()]
    if not exports:
        raise UsageError(f"{root / 'exports'} holds no export files; run "
                         f"`distill-duck export-all --root {root}` first")
    out.parent.mkdir(parents=True, exist_ok=True)
    # the lock: the export files and the partitions are read as one state, not halfway
    # through another run's writes
    with root_lock(root), _staging(out) as staging:
        models = [m for m in project.models.values() if m.config.command == "dataset"]
        con = connect(spill_dir=staging / ".spill")
        try:
            project.install_macros(con)
            inputs, bound = set_inputs(con, lake, exporters, exports)
            if options.engine == "spark":
                from distill_duck.engines.spark_run import run_on_spark
                from distill_duck.engines.spark_session import spark_session

                # Spark builds every dataset relation (reading every partition: the input
                # cache is DuckDB's); DuckDB writes the files from them
                run_on_spark(spark_session(options.spark_master), project, con,
                             [m.name for m in models], bound, export=lambda *_: None, only_selected=True)
            else:
                # the partitions are read through the export runs' parsed-input cache (we
                # hold the root lock, as they do), so a build after an export parses nothing
                # again; DuckDB misplaces the log of a database under a path holding "?"
                # (see pipeline)
                state_dir = root / ".distill_duck"
                strategies: dict[str, Strategy] = {}
                if "?" not in str(state_dir):
                    cache = InputCache(con, state_dir / CACHE_FILE, project, bound)
                    strategies["incremental"] = cache.strategy
                project.run(con, [m.name for m in models], strategies=strategies)
            written = write_files(con, models, staging, options)
            counts = con.execute(
                "SELECT config, split, category, \"rows\", tasks FROM dataset_counts ORDER BY ALL").fetchall()
            found = con.execute("SELECT config, split, tasks FROM dataset_tasks").fetchall()
            tasks = {(c, s): n for c, s, n in found}
        finally:
            con.close()
        shutil.rmtree(staging / ".spill", ignore_errors=True)

        rows = {cfg: {split: n for (c, split), n in written["rows"].items() if c == cfg} for cfg in CONFIGS}
        if not any(rows.values()):
            raise UsageError(f"the export files under {root / 'exports'} hold no rows; run "
                             f"`distill-duck export-all --root {root}` on a lakehouse with accepted runs")
        # the export runs' digests of the files they wrote and read (we hold the root lock)
        known = FactsCache(root / ".distill_duck" / FACTS_FILE)
        sources = facts_of(root, exports, known)
        receipt = {
            "receipt_version": 1,
            "tool": {"name": "distill-duck", "version": __version__},
            "created_at": now_iso(),
            "root": str(root),
            "options": options.recorded(),
            "split_rule": "u = int(sha256(task_id)[:13], 16) / 16**13; validation if u < eval_fraction, "
                          "test if u >= 1 - test_fraction, else train",
            # the export files, and the partitions the task ids and prompts were looked up in
            "inputs": [{"file": rel, **(facts or {})} for rel, facts in
                       {**sources, **facts_of(root, inputs, known)}.items()],
            "rows": rows,
            "tasks": {cfg: {s: tasks[cfg, s] for s in SPLITS if (cfg, s) in tasks}
                      for cfg in ("sft", "preference")},
            "files": written["files"],
            # the export run that last wrote each file: its options and the safety gates that ran
            "exports": {exporter: {"run_id": r.get("run_id"),
                                   "options": {k: v for k, v in (r.get("options") or {}).items()
                                               if k != "safety_gates"},
                                   "safety_gates": (r.get("options") or {}).get("safety_gates")}
                        for exporter, r in latest_receipts(root).items()},
        }
        files: dict[str, str] = {
            "README.md": dataset_card(receipt, written, counts, tasks, sources, options),
            "dataset_info.json": json.dumps(llamafactory_info(written, options), indent=2) + "\n",
            RECEIPT: json.dumps(receipt, indent=2, ensure_ascii=False) + "\n",
        }
        for rel, text in files.items():
            (staging / rel).write_text(text, "utf-8")
        _sync_tree(staging)
        _swap_into_place(staging, out)
    return DatasetResult(out, rows, receipt)


def write_files(con: duckdb.DuckDBPyConnection, models: list[Model], staging: Path,
                options: DatasetOptions) -> dict[str, Any]:
    """COPY every config's splits to data/<config>/<split>.<ext> and every other layout to its
    file, for the splits that have rows: an empty data file is what `datasets` ("corresponds
    to no data"), fine-tuning services and LlamaFactory refuse."""
    ext, copy_options = FORMATS[options.format]
    rows: dict[tuple[str, str], int] = {}
    files: dict[str, dict[str, Any]] = {}
    for model in models:
        if model.config.dataset_config:
            config = model.config.dataset_config
            target, drop, copy_as = f"data/{config}/{{split}}.{ext}", "split", copy_options
        elif model.config.dataset_file:
            target, drop, copy_as = model.config.dataset_file, "split, id", "(FORMAT json)"
        else:
            continue
        present = dict(con.execute(f"SELECT split, count(*) FROM {ident(model.name)} GROUP BY split")
                       .fetchall())
        for split in SPLITS:
            n = present.get(split, 0)
            if n == 0:
                continue
            rel = target.format(split=split)
            path = staging / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                con.execute(
                    f"COPY (SELECT * EXCLUDE ({drop}) FROM {ident(model.name)} WHERE split = {lit(split)} "
                    f"ORDER BY id) TO {lit(str(path))} {copy_as}"
                )
            except duckdb.Error as e:
                raise DistillError(f"writing {rel} failed: {' '.join(str(e).split())}") from e
            files[rel] = {"rows": n, **(file_facts(path) or {})}
            if model.config.dataset_config:
                rows[(model.config.dataset_config, split)] = n
    return {"rows": rows, "files": files}


def _size_category(n: int) -> str:
    for limit, label in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"),
                         (1_000_000, "100K<n<1M"), (10_000_000, "1M<n<10M")):
        if n < limit:
            return label
    return "10M<n<100M"


def dataset_card(receipt: dict[str, Any], written: dict[str, Any], counts: list[tuple[Any, ...]],
                 tasks: dict[tuple[str, str], int], sources: dict[str, dict[str, Any] | None],
                 options: DatasetOptions) -> str:
    """README.md: the Hugging Face dataset card (YAML front matter, then a body to read)."""
    q = json.dumps  # a JSON string is a YAML double-quoted scalar
    ext = FORMATS[options.format][0]
    rows = receipt["rows"]
    total = sum(n for per in rows.values() for n in per.values())
    yaml = [
        "---",
        f"pretty_name: {q(options.name)}",
        f"license: {q(options.license)}",
        "task_categories:", "- text-generation", "- text-retrieval",
        "tags:", *(f"- {t}" for t in ("sft", "dpo", "preference", "rag", "conversational", "distill-duck")),
        "size_categories:", f"- {q(_size_category(total))}",
        "configs:",
    ]
    present = [cfg for cfg in CONFIGS if rows[cfg]]
    for cfg in present:
        default = ["  default: true"] if cfg == present[0] else []
        yaml += [f"- config_name: {cfg}", *default, "  data_files:"]
        for split in SPLITS:
            if split in rows[cfg]:
                yaml += [f"  - split: {split}", f"    path: {q(f'data/{cfg}/{split}.{ext}')}"]
    yaml.append("---")

    body = [
        "", f"# {options.name}", "",
        f"Training data made by distill-duck {__version__} on {receipt['created_at']} from the export files "
        "of a distill-duck lakehouse (every row of every export run). Nothing here needs a conversion "
        "script: Hugging Face `datasets`, TRL, LlamaFactory (`dataset_info.json`) and OpenAI-style "
        "fine-tuning services (`openai/`) read it as it is.", "",
        "## Configs", "",
    ]
    body += [f"- **{cfg}**: {ABOUT[cfg]}" + ("" if rows[cfg] else " *No rows: the export file is empty, so "
                                                "the card declares no such config.*") for cfg in CONFIGS]
    body += ["", "| config | split | rows | tasks | file |", "|---|---|---|---|---|"]
    for cfg in CONFIGS:
        for split, n in rows[cfg].items():
            t = tasks.get((cfg, split), "-")
            body.append(f"| {cfg} | {split} | {n} | {t} | `data/{cfg}/{split}.{ext}` |")
    body += ["", "Rows per category (for `preference`: the chosen and the rejected run's scores):", "",
             "| config | category | " + " | ".join(SPLITS) + " |", "|---|---|" + "---|" * len(SPLITS)]
    by_cat: dict[tuple[str, str], dict[str, int]] = {}
    for cfg, split, category, n, _ in counts:
        by_cat.setdefault((cfg, category or "(none)"), {})[split] = n
    for (cfg, category), per in sorted(by_cat.items(), key=lambda kv: (CONFIGS.index(kv[0][0]), kv[0][1])):
        body.append(f"| {cfg} | {category} | " + " | ".join(str(per.get(s, 0)) for s in SPLITS) + " |")
    body += [
        "", "## Splits", "",
        f"By task, never by row: every row of a task is in one split, so an evaluation never scores a task "
        f"the model trained on. A task's split depends on its task id and the fractions alone "
        f"(`--eval-fraction {options.eval_fraction}`, `--test-fraction {options.test_fraction}`): "
        f"{receipt['split_rule']}. A task never moves as new rows arrive. Splits without rows are not "
        "declared.", "",
        "## The firewall", "",
        "Every row passed distill-duck's contamination firewall when it was exported: nothing rejected, "
        "unreviewed, empty or provenance-free reaches a training file. SFT holds only `accepted` runs "
        "(`partially_accepted` only when the export opted in); `rejected` and `needs_human_review` never. "
        "RAG never holds `rejected`. Each preference pair is two different runs of one task with "
        "different texts, the chosen one accepted. The safety gates (credentials, files that do not "
        "exist, benchmark answers, exact and near duplicates) ran as each export's receipt records:", "",
    ]
    exports = receipt["exports"]
    if exports:
        declared = builtin()
        body += ["| export | latest run | options | safety gates |", "|---|---|---|---|"]
        for exporter in CONFIGS:
            r = exports.get(exporter)
            if r is None:
                continue
            opts = ", ".join(f"{k}={v}" for k, v in (r.get("options") or {}).items()
                             if k in declared[exporter].options)
            gates_text = _gates_text(r.get("safety_gates"))
            body.append(f"| {exporter} | `{r.get('run_id')}` | {opts} | {gates_text} |")
    else:
        body.append("No export receipts were found under `reports/distillation/`.")
    body += ["", "## Source files", "", "| file | lines | sha256 |", "|---|---|---|"]
    body += [f"| `{rel}` | {f['lines']} | `{f['sha256']}` |" for rel, f in sources.items() if f]
    body += [
        "", "## Load it", "",
        "```python", "from datasets import load_dataset", "",
        'sft = load_dataset("path/to/this/folder", "sft")',
        'preference = load_dataset("path/to/this/folder", "preference")', "```", "",
        f"LlamaFactory: `dataset_dir: path/to/this/folder` and `dataset: {options.name}_sft_train` "
        f"(stage sft) or `{options.name}_preference_train` (stage dpo). OpenAI-style services: upload "
        "`openai/sft.train.jsonl` or `openai/dpo.train.jsonl`.", "",
    ]
    return "\n".join(yaml + body)


def _gates_text(gates: dict[str, dict[str, Any]] | None) -> str:
    """The SPEC 12 gates an export run recorded as on, with their settings."""
    if gates is None:
        return "none (the run predates the safety gates)"
    on = []
    for gate, settings in gates.items():
        if settings.get("on"):
            extra = ", ".join(f"{k}={v}" for k, v in settings.items()
                              if k != "on" and v not in (None, [], False))
            on.append(f"{gate}" + (f" ({extra})" if extra else ""))
    return ", ".join(on) or "all off (--no-safety-gates)"


def llamafactory_info(written: dict[str, Any], options: DatasetOptions) -> dict[str, Any]:
    """dataset_info.json: one LlamaFactory dataset per config and split that has rows."""
    ext = FORMATS[options.format][0]
    info: dict[str, Any] = {}
    for (cfg, split), n in sorted(written["rows"].items(), key=lambda kv: (CONFIGS.index(kv[0][0]),
                                                                           SPLITS.index(kv[0][1]))):
        if n == 0:
            continue
        key = f"{options.name}_{cfg}_{split}"
        if cfg == "sft":
            info[key] = {"file_name": f"data/sft/{split}.{ext}", "formatting": "sharegpt",
                         "columns": {"messages": "messages"}, "tags": SHAREGPT_TAGS}
        elif cfg == "preference":
            info[key] = {"file_name": f"llamafactory/preference.{split}.jsonl", "formatting": "sharegpt",
                         "ranking": True,
                         "columns": {"messages": "messages", "chosen": "chosen", "rejected": "rejected"},
                         "tags": SHAREGPT_TAGS}
        else:  # continued pre-training on the corpus (stage pt reads the prompt column as text)
            info[key] = {"file_name": f"data/rag/{split}.{ext}", "columns": {"prompt": "content"}}
    return info


def _check_target(out: Path) -> None:
    """OUT is replaced whole, so it must be a folder this command made, or new, or empty."""
    if out.exists() or out.is_symlink():
        if not out.is_dir() or out.is_symlink():
            raise UsageError(f"{out} exists and is not a folder; choose another OUT")
        if any(out.iterdir()) and not (out / RECEIPT).is_file():
            raise UsageError(f"{out} is a folder that distill-duck dataset did not write (no {RECEIPT}); "
                             "it would be replaced whole: choose another OUT or empty it")


@contextmanager
def _staging(out: Path) -> Iterator[Path]:
    """A new folder beside OUT (same file system, so the final rename is atomic); removed
    unless it was renamed into place."""
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    try:
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _sync_tree(top: Path) -> None:
    for dirpath, _, filenames in os.walk(top):
        for name in filenames:
            fsync_path(Path(dirpath, name))
        fsync_path(Path(dirpath))
    # mkdtemp makes a 0700 folder; the dataset is for others to read like any export
    mode = 0o777 & ~_umask()
    os.chmod(top, mode)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _swap_into_place(staging: Path, out: Path) -> None:
    """Put the new folder at OUT. An old OUT is exchanged with it in one atomic step where
    the kernel can (Linux renameat2), so OUT is never missing; elsewhere it is renamed aside
    first. The old folder is removed after."""
    if not out.exists():
        os.rename(staging, out)
    elif _exchange(staging, out):
        shutil.rmtree(staging, ignore_errors=True)  # now the old folder
    else:
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=out.parent))
        os.rename(out, old / out.name)
        os.rename(staging, out)
        shutil.rmtree(old, ignore_errors=True)
    fsync_path(out.parent)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (renameat2 RENAME_EXCHANGE); False where unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):  # kernel or file system without it
        return False
    raise OSError(err, os.strerror(err), str(b))
