"""The model runner: discover the SQL models, render them, order them, run them.

A model is one ``.sql`` file under ``sql/`` (outside ``sql/macros/``); it creates one
relation named after the file. Its dependencies are the relations its rendered SQL reads,
found by parsing it with sqlglot, so nobody keeps a dependency list by hand.
Files under ``sql/macros/`` hold DuckDB macros (run first, in file-name order) and jinja
macros that models import.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import heapq
import math
import re
import time
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import jinja2
import sqlglot
from sqlglot import exp
from sqlglot.optimizer.scope import traverse_scope

from distill_duck import __version__, exporters
from distill_duck.engines import DEFAULT as DEFAULT_ENGINE
from distill_duck.errors import DistillError, MachineError, UsageError
from distill_duck.model_config import ModelConfig
from distill_duck.sqlquote import ident, lit

# Installed wheels carry the models inside the package; a source checkout has them at the top.
_PACKAGE_DIR = Path(__file__).resolve().parent
SQL_DIR = _PACKAGE_DIR / "sql" if (_PACKAGE_DIR / "sql").is_dir() else _PACKAGE_DIR.parent / "sql"
MACRO_DIR = "macros"
# the folders under sql/, in the order data flows through them
FLOW = ("inputs", "safety", "gates", "exports", "summaries", "warehouse", "receipts", "health", "report",
        "datasets")
# The models that check the firewall after a run (the receipt's assertions, `health`): a
# project may replace any gate, but not the checks that catch a gate letting the wrong rows
# through, or a broken override could pass its own checks.
PROTECTED = ("run_checks", "appended_checks", "health_violations", "health_lines")
_VARIABLE = re.compile(r"getvariable\('([A-Za-z_][A-Za-z0-9_]*)'\)")
# how a strategy builds one model: given the connection and the model (see Project.run)
Strategy = Callable[[duckdb.DuckDBPyConnection, "Model"], None]


@dataclass(frozen=True)
class Model:
    name: str
    path: Path
    stage: str
    sql: str
    depends_on: tuple[str, ...]
    config: ModelConfig = field(default_factory=ModelConfig)
    # "built-in", or "project" for a model from the --project folder (added or replacing one)
    origin: str = "built-in"

    @functools.cached_property
    def variables(self) -> frozenset[str]:
        """The DuckDB variables its SQL reads (getvariable('name')): what the runner binds."""
        return frozenset(_VARIABLE.findall(self.sql))


class _CompiledTemplates(jinja2.BytecodeCache):
    """Compiled templates, kept for the life of the process: each run makes a Project (an
    environment with its own run options), and compiling every model's template again cost
    more than running a small lakehouse. Jinja checks each source's checksum, so an edited
    file is compiled afresh."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if bucket.key in self._code:
            bucket.bytecode_from_string(self._code[bucket.key])

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


_COMPILED = _CompiledTemplates()


class _EngineLoader(jinja2.FileSystemLoader):
    """Templates by path, except that for an engine other than DuckDB a macro template
    under ``macros/<engine>/`` replaces the one of the same name under ``macros/`` (the
    byte-level reading tier, where the engines' SQL must differ)."""

    def __init__(self, searchpath: list[str], engine: str):
        super().__init__(searchpath)
        self.engine = engine

    def get_source(self, environment: jinja2.Environment,
                   template: str) -> tuple[str, str, Callable[[], bool]]:
        if self.engine != DEFAULT_ENGINE and template.startswith(f"{MACRO_DIR}/"):
            try:
                return super().get_source(
                    environment, f"{MACRO_DIR}/{self.engine}/{template[len(MACRO_DIR) + 1:]}")
            except jinja2.TemplateNotFound:
                pass
        return super().get_source(environment, template)


class Project:
    """The models under one ``sql/`` folder, rendered with one set of run options."""

    def __init__(self, context: Mapping[str, Any] | None = None, sql_dir: Path = SQL_DIR,
                 project: Path | None = None, engine: str = DEFAULT_ENGINE):
        self.sql_dir = sql_dir
        self.engine = engine
        # a user's project folder: the models under its sql/ add to the built-in ones, or
        # replace the one of the same name; its templates shadow ours of the same path
        self.project_sql_dir = project_sql_dir(project) if project is not None else None
        self.roots = [d for d in (self.project_sql_dir, sql_dir) if d is not None]
        if self.project_sql_dir is not None:
            _check_project(self.project_sql_dir, sql_dir)
        self.context = dict(context or {})
        # the exporters the models are written for (sql/exporters.toml, and a project's)
        self.exporters = exporters.load(self.roots)
        self.env = jinja2.Environment(
            loader=_EngineLoader([str(d) for d in self.roots], engine),
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
            bytecode_cache=_COMPILED,
        )
        # run options are globals so that imported jinja macros see them too
        self.env.globals.update(self.context, lit=lit, ident=ident, exporters=self.exporters)
        self._models: dict[str, Model] | None = None
        self._macros: list[tuple[str, str]] | None = None
        self._installed: weakref.WeakSet[duckdb.DuckDBPyConnection] = weakref.WeakSet()
        self._orders: dict[tuple[frozenset[str] | None, bool], list[Model]] = {}

    # -- discovery and rendering -------------------------------------------------------
    def model_paths(self) -> dict[str, Path]:
        paths = _model_paths(self.sql_dir)
        if self.project_sql_dir is not None:
            paths.update(_model_paths(self.project_sql_dir))
        return paths

    def macro_sql(self) -> list[tuple[str, str]]:
        """The DuckDB macro definitions, rendered, in file-name order (ours and a project's)."""
        if self._macros is None:
            files = {p.name: p for d in reversed(self.roots) for p in sorted((d / MACRO_DIR).glob("*.sql"))}
            if self.engine != DEFAULT_ENGINE:
                # the engine's own macro bodies come after, and replace those of their name
                files.update({f"{self.engine}/{p.name}": p for d in reversed(self.roots)
                              for p in sorted((d / MACRO_DIR / self.engine).glob("*.sql"))})
            self._macros = []
            for filename in sorted(files):
                sql = self._render(files[filename]).strip()
                if sql:
                    self._macros.append((filename, sql))
        return self._macros

    def _root_of(self, path: Path) -> Path:
        return next(d for d in self.roots if path.is_relative_to(d))

    def project_facts(self) -> dict[str, Any] | None:
        """What the receipt records of the project: its folder and each of its models' file
        and sha256, and whether it replaced a built-in model."""
        if self.project_sql_dir is None:
            return None
        builtin = _model_paths(self.sql_dir)
        models = {
            m.name: {"file": m.path.relative_to(self.project_sql_dir.parent).as_posix(),
                     "sha256": hashlib.sha256(m.path.read_bytes()).hexdigest(),
                     "replaces_built_in": m.name in builtin}
            for m in self.models.values() if m.origin == "project"
        }
        return {"dir": str(self.project_sql_dir.parent), "models": models}

    def sql_lineage(self, name: str) -> str:
        """sha256 of what a model's rows depend on besides the files it reads: the tool and
        DuckDB versions, the macros, and the SQL of the model and everything upstream."""
        digest = hashlib.sha256(f"{__version__}\0{duckdb.__version__}".encode())
        for _, sql in self.macro_sql():
            digest.update(f"\0{sql}".encode())
        for m in self.ordered([name]):
            digest.update(f"\0{m.name}\0{m.sql}".encode())
        return digest.hexdigest()

    def _render(self, path: Path, config: dict[str, Any] | None = None) -> str:
        template = self.env.get_template(path.relative_to(self._root_of(path)).as_posix())

        def set_config(**kwargs: Any) -> str:
            if config is not None:
                config.update(kwargs)
            return ""

        try:
            return template.render(config=set_config)
        except jinja2.TemplateError as e:
            raise DistillError(f"model {path.stem!r} does not render: {e}") from e

    def _load(self) -> dict[str, Model]:
        paths = self.model_paths()
        models = {}
        for name, path in paths.items():
            config: dict[str, Any] = {}
            sql = self._render(path, config).strip().rstrip(";")
            deps = _references(name, sql)
            unknown = sorted(d for d in deps if d not in paths)
            if unknown:
                raise DistillError(
                    f"model {name!r} reads {', '.join(map(repr, unknown))}, which is not a model; "
                    f"add sql/.../{unknown[0]}.sql or fix the name"
                )
            root = self._root_of(path)
            stage = path.parent.relative_to(root).as_posix()
            origin = "project" if root == self.project_sql_dir else "built-in"
            models[name] = Model(name, path, stage, sql, tuple(sorted(deps)),
                                 ModelConfig.parse(name, config), origin)
        for model in models.values():
            memo = model.config.memo
            if memo is not None and (memo not in model.depends_on
                                     or models[memo].config.materialized != "memo"):
                raise DistillError(
                    f"model {model.name!r}: config(memo={memo!r}) must name a memo model "
                    "(materialized='memo') that its SQL reads")
        return models

    @property
    def models(self) -> dict[str, Model]:
        if self._models is None:
            self._models = self._load()
        return self._models

    # -- ordering ------------------------------------------------------------------------
    def ordered(self, select: Iterable[str] | None = None, upstream: bool = True) -> list[Model]:
        """Models in dependency order (ties by stage then name); with ``select``, only
        those models and (unless ``upstream`` is false) everything upstream of them."""
        select = None if select is None else list(select)
        key = (None if select is None else frozenset(select), upstream)
        if key not in self._orders:
            self._orders[key] = self._ordered(select, upstream)
        return list(self._orders[key])

    def _ordered(self, select: Iterable[str] | None, upstream: bool) -> list[Model]:
        models = self.models
        wanted = set(models) if select is None else set()
        for name in select or ():
            if name not in models:
                raise UsageError(
                    f"no model named {name!r}; `distill-duck models` lists them"
                )
            if upstream:
                _upstream(name, models, wanted)
            else:
                wanted.add(name)
        # Kahn's algorithm; among ready models the one earliest in the flow goes first, so
        # the listing reads inputs -> gates -> exports like the folders do
        def rank(name: str) -> tuple[int, str, str]:
            stage = models[name].stage.split("/")[0]
            return (FLOW.index(stage) if stage in FLOW else len(FLOW), stage, name)

        waiting = {n: {d for d in models[n].depends_on if d in wanted} for n in wanted}
        ready = [rank(n) for n, deps in waiting.items() if not deps]
        heapq.heapify(ready)
        order: list[Model] = []
        while ready:
            name = heapq.heappop(ready)[2]
            order.append(models[name])
            for other, deps in waiting.items():
                if name in deps:
                    deps.discard(name)
                    if not deps:
                        heapq.heappush(ready, rank(other))
        if len(order) < len(wanted):
            raise DistillError(f"models form a cycle: {_cycle(waiting)}; break it")
        return order

    # -- running -------------------------------------------------------------------------
    def published(self) -> list[Model]:
        """The models that form the warehouse's public interface (``materialized='publish'``
        or ``publish=true``)."""
        return [m for m in self.ordered() if m.config.published]

    def of_kind(self, materialized: str) -> list[Model]:
        """The models of one materialization, in run order."""
        return [m for m in self.ordered() if m.config.materialized == materialized]

    def exporter_models(self, names: Iterable[str]) -> list[Model]:
        """What an export run of these exporters builds: their export models (those
        appending to one of their files) and their summary models."""
        chosen = [self.exporters[n] for n in names]
        files = {f for e in chosen for f in e.files}
        summaries = {e.summary for e in chosen}
        return [m for m in self.ordered()
                if (m.config.export in files) or m.name in summaries]

    def install_macros(self, con: duckdb.DuckDBPyConnection) -> None:
        """Create the DuckDB macros on a connection (once: each run() call would again)."""
        if con in self._installed:
            return
        for filename, sql in self.macro_sql():
            try:
                con.execute(sql)
            except duckdb.Error as e:
                raise DistillError(f"sql/macros/{filename} failed: {_one_line(e)}") from e
        self._installed.add(con)

    def run(
        self,
        con: duckdb.DuckDBPyConnection,
        select: Iterable[str] | None = None,
        progress: Callable[[str], None] | None = None,
        upstream: bool = True,
        strategies: Mapping[str, Strategy] | None = None,
    ) -> dict[str, float]:
        """Install the macros, then build every selected model by the strategy named by its
        ``config(materialized=...)``; return seconds per model. ``view`` and ``table`` are
        built here; the caller supplies the others (the input cache for ``incremental``, the
        export run for ``export``, ``publish`` and ``check``), which are otherwise built as
        tables (as ``distill-duck run`` does)."""
        timings: dict[str, float] = {}
        strategies = {**BUILT_IN_STRATEGIES, **(strategies or {})}
        self.install_macros(con)
        for model in self.ordered(select, upstream):
            if progress:
                progress(f"{model.stage}/{model.name}")
            started = time.perf_counter()
            try:
                with _settings(con, model.config.settings):
                    strategies.get(model.config.materialized, build_table)(con, model)
            except duckdb.OutOfMemoryException as e:
                limit = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
                raise MachineError(
                    f"model {model.name!r} ran out of memory under DuckDB's memory_limit of {limit}: "
                    f"set DISTILL_DUCK_MEMORY_LIMIT higher (e.g. DISTILL_DUCK_MEMORY_LIMIT="
                    f"{_twice(limit)}) and run "
                    "again (input lines of tens of MB need about 80 times their size)"
                ) from e
            except duckdb.Error as e:
                raise DistillError(f"model {model.name!r} failed: {_one_line(e)}") from e
            timings[model.name] = time.perf_counter() - started
        return timings


def build_table(con: duckdb.DuckDBPyConnection, model: Model) -> None:
    con.execute(f"CREATE OR REPLACE TABLE {ident(model.name)} AS {model.sql}")


def build_view(con: duckdb.DuckDBPyConnection, model: Model) -> None:
    # a view streams into its readers: for one-reader steps that would otherwise store a
    # copy of every text
    con.execute(f"CREATE OR REPLACE VIEW {ident(model.name)} AS {model.sql}")


BUILT_IN_STRATEGIES: dict[str, Strategy] = {"table": build_table, "view": build_view}


@contextlib.contextmanager
def _settings(con: duckdb.DuckDBPyConnection, settings: Mapping[str, str]) -> Iterator[None]:
    """DuckDB settings for one statement: set, then put back as they were."""
    before = {k: con.execute("SELECT current_setting(?)", [k]).fetchone()[0] for k in settings}
    try:
        for key, value in settings.items():
            con.execute(f"SET {ident(key)} = {lit(value)}")
        yield
    finally:
        for key, value in before.items():
            con.execute(f"SET {ident(key)} = {lit(value)}")


def project_sql_dir(project: Path) -> Path:
    """The sql/ folder of a project folder, which must exist."""
    sql = Path(project) / "sql"
    if not sql.is_dir():
        raise UsageError(
            f"--project {project}: no sql/ folder in it; put models in {sql}/<folder>/<name>.sql "
            "(a model named like a built-in one replaces it)"
        )
    return sql.resolve()


def _check_project(project_sql: Path, sql_dir: Path) -> None:
    """Refuse a project that replaces what checks the firewall: the checking models, or a
    macro file (every model reads the macros, the checks included). Checked before a run
    touches anything."""
    for path in sorted((project_sql / MACRO_DIR).glob("*.sql")):
        if (sql_dir / MACRO_DIR / path.name).exists():
            raise UsageError(
                f"the project's {path} replaces the built-in macros/{path.name}, which the "
                "firewall checks use too; give your macro file another name"
            )
    for name, path in _model_paths(project_sql).items():
        if name in PROTECTED:
            raise UsageError(
                f"the project's {path} replaces {name!r}, which checks the firewall after "
                "every run and cannot be replaced; rename the file to add a model instead"
            )


def _model_paths(sql_dir: Path) -> dict[str, Path]:
    """The models under one sql/ folder, by name (the file's stem)."""
    paths: dict[str, Path] = {}
    for path in sorted(sql_dir.rglob("*.sql")):
        if path.relative_to(sql_dir).parts[0] == MACRO_DIR:
            continue
        if path.stem in paths:
            raise DistillError(
                f"two models are named {path.stem!r}: {paths[path.stem]} and {path}; "
                "rename one (a model's file name is its relation name)"
            )
        paths[path.stem] = path
    return paths


_SIZE_UNITS = {"bytes": 1, "B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40}


def _twice(limit: str) -> str:
    """A suggestion above DuckDB's current limit ("1.4 GiB" -> "3GB"), never the limit itself."""
    match = re.fullmatch(r"([\d.]+)\s*(\w+)", limit.strip())
    if not match or match.group(2) not in _SIZE_UNITS:
        return "8GB"
    size = float(match.group(1)) * _SIZE_UNITS[match.group(2)]
    return f"{max(1, math.ceil(2 * size / (1 << 30)))}GB"


# Parsing every model with sqlglot is about a third of a small run; a process that renders
# the same SQL again (a library caller, the test suite) parses it once.
@functools.lru_cache(maxsize=1024)
def _references(name: str, sql: str) -> frozenset[str]:
    """The relations a model's SQL reads: table references that no CTE in their own scope
    (or an enclosing one) names. Table functions (read_blob(...), range(...)) are not."""
    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
        scopes = traverse_scope(tree)
    except sqlglot.errors.SqlglotError as e:
        raise DistillError(f"model {name!r} is not SQL sqlglot can read: {_one_line(e)}") from e
    refs = set()
    for scope in scopes:
        for table in scope.tables:
            if isinstance(table.this, exp.Identifier) and table.name not in scope.cte_sources:
                refs.add(table.name)
    return frozenset(refs)


def _cycle(waiting: Mapping[str, set[str]]) -> str:
    """One cycle among models still waiting, as a -> b -> a."""
    name = next(n for n, deps in sorted(waiting.items()) if deps)
    chain = [name]
    while True:
        name = sorted(waiting[name])[0]
        if name in chain:
            return " -> ".join(chain[chain.index(name):] + [name])
        chain.append(name)


def _upstream(name: str, models: Mapping[str, Model], into: set[str]) -> None:
    if name in into:
        return
    into.add(name)
    for dep in models[name].depends_on:
        _upstream(dep, models, into)


def _one_line(e: BaseException) -> str:
    return " ".join(str(e).split())
