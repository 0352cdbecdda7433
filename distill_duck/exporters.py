"""The exporters, as ``sql/exporters.toml`` declares them (and a project's ``sql/exporters.toml``).

An exporter is data: its files, its summary model, its row keys, its firewall. The CLI,
the runner's bound variables, summaries, receipts, run checks, health, the report and the
warehouse all derive what they need from these declarations; the SQL models see them as
the template global ``exporters``.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from distill_duck.errors import DistillError, UsageError

DECLARATIONS = "exporters.toml"
# SPEC 11's counts every exporter's summary has
COMMON_SUMMARY_KEYS = (
    "exporter", "dry_run", "scored_files_read", "records_read", "records_exported",
    "records_quarantined", "skipped_existing", "quarantine_by_reason", "input_errors",
    "ignored_files", "output_path",
)
# the run options an exporter may name (RunOptions fields the CLI has flags for)
RUN_OPTIONS = ("include_review", "include_partial", "max_pairs_per_task")
COUNTS = ("records", "pairs")
_NAME = re.compile(r"[a-z][a-z0-9_]*")


@dataclass(frozen=True)
class ExtraCount:
    """A summary count beyond SPEC 11's common ones."""
    key: str
    label: str
    comment: str
    note: str | None = None


@dataclass(frozen=True)
class Exporter:
    name: str
    help: str
    dataset: str
    quarantine: str
    summary: str
    id_prefix: str
    row_keys: tuple[str, ...]
    counts: str = "records"
    samples: str | None = None
    options: tuple[str, ...] = ()
    score_key: str | None = None
    never: tuple[str, ...] = ()
    extra: tuple[ExtraCount, ...] = ()
    origin: Path = field(default=Path(), compare=False, repr=False)

    @property
    def command(self) -> str:
        return f"export-{self.name}"

    @property
    def files(self) -> tuple[str, str]:
        return (self.dataset, self.quarantine)

    @property
    def output_variable(self) -> str:
        """The DuckDB variable listing its dataset file as a run will leave it."""
        return f"{self.name}_output_paths"

    @property
    def summary_keys(self) -> tuple[str, ...]:
        return COMMON_SUMMARY_KEYS + tuple(x.key for x in self.extra)


class Exporters(Mapping[str, Exporter]):
    """The declared exporters by name, in declaration order (built-in ones first)."""

    def __init__(self, exporters: Sequence[Exporter]):
        self._by_name = {e.name: e for e in exporters}

    def __getitem__(self, name: str) -> Exporter:
        return self._by_name[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_name)

    def __len__(self) -> int:
        return len(self._by_name)

    @property
    def dataset_files(self) -> tuple[str, ...]:
        return tuple(e.dataset for e in self.values())

    @property
    def quarantine_files(self) -> tuple[str, ...]:
        return tuple(e.quarantine for e in self.values())

    @property
    def outputs(self) -> tuple[str, ...]:
        """Every output file: the datasets, then the quarantines."""
        return self.dataset_files + self.quarantine_files

    def owner(self, output_file: str) -> Exporter | None:
        return next((e for e in self.values() if output_file in e.files), None)


def load(sql_dirs: Sequence[Path]) -> Exporters:
    """The exporters declared under each sql/ folder, the built-in one last in the list but
    first in the result; a project may add exporters, not redefine one."""
    found: list[Exporter] = []
    for sql_dir in reversed(sql_dirs):
        path = sql_dir / DECLARATIONS
        if not path.is_file():
            continue
        try:
            declared = tomllib.loads(path.read_text("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
            raise UsageError(f"{path} is not TOML: {e}; fix it (see the built-in sql/{DECLARATIONS})") from e
        for name, table in declared.items():
            if any(e.name == name for e in found):
                raise UsageError(f"{path} declares exporter {name!r} again; give yours another name")
            found.append(_parse(path, name, table))
    files = [f for e in found for f in e.files]
    clash = sorted({f for f in files if files.count(f) > 1})
    if clash:
        raise UsageError(f"two exporters write {clash[0]}; give each exporter files of its own")
    return Exporters(found)


def _parse(path: Path, name: str, table: Any) -> Exporter:
    where = f"{path}: exporter {name!r}"
    if not _NAME.fullmatch(name) or not isinstance(table, dict):
        raise UsageError(f"{where}: an exporter is a [name] table with a lower-case name (letters, "
                         "digits, _)")
    known = {f.name for f in fields(Exporter)} - {"name", "origin"}
    for key in table:
        if key not in known:
            raise UsageError(f"{where}: {key!r} is not an exporter setting; use one of "
                             f"{', '.join(sorted(known))}")
    required = ("help", "dataset", "quarantine", "summary", "id_prefix", "row_keys")
    missing = [k for k in required if k not in table]
    if missing:
        raise UsageError(f"{where}: missing {', '.join(missing)}")
    for key in ("help", "dataset", "quarantine", "summary", "id_prefix", "counts", "samples", "score_key"):
        if key in table and not isinstance(table[key], str):
            raise UsageError(f"{where}: {key} must be a string")
    for key in ("row_keys", "options", "never"):
        value = table.get(key, [])
        if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            raise UsageError(f"{where}: {key} must be a list of strings")
    for key in ("dataset", "quarantine"):
        if not table[key].startswith("exports/") or not table[key].endswith(".jsonl"):
            raise UsageError(f"{where}: {key} must be a file exports/.../<name>.jsonl under the root")
    bad = [o for o in table.get("options", []) if o not in RUN_OPTIONS]
    if bad:
        raise UsageError(f"{where}: option {bad[0]!r} is not a run option; "
                         f"use one of {', '.join(RUN_OPTIONS)}")
    if table.get("counts", "records") not in COUNTS:
        raise UsageError(f"{where}: counts must be one of {', '.join(COUNTS)}")
    if bool(table.get("never")) != bool(table.get("score_key")):
        raise UsageError(f"{where}: score_key and never go together (the firewall: no row holds one of "
                         "`never` in `score_key`)")
    extra = []
    for item in table.get("extra", []):
        keys = set(item) if isinstance(item, dict) else set()
        if not {"key", "label", "comment"} <= keys <= {"key", "label", "comment", "note"}:
            raise UsageError(f"{where}: each [[{name}.extra]] has key, label, comment and maybe note")
        extra.append(ExtraCount(**item))
    values = {**table, "extra": tuple(extra)}
    for key in ("row_keys", "options", "never"):
        if key in values:
            values[key] = tuple(values[key])
    return Exporter(name=name, origin=path, **values)


def _builtin_sql_dir() -> Path:
    from distill_duck.runner import SQL_DIR

    return SQL_DIR


def builtin() -> Exporters:
    """The built-in exporters (no project)."""
    return load([_builtin_sql_dir()])


def check_unknown(exporters: Exporters, names: Sequence[str]) -> None:
    for name in names:
        if name not in exporters:
            raise DistillError(f"no exporter named {name!r}; declared: {', '.join(exporters)}")
