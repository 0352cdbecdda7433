"""The model runner: discover the SQL models, render them, order them, run them.

A model is one ``.sql`` file under ``sql/`` (outside ``sql/macros/``); it creates one
relation named after the file. Its dependencies are the relations its rendered SQL reads,
found by parsing it with sqlglot, so nobody keeps a dependency list by hand.
Files under ``sql/macros/`` hold DuckDB macros (run first, in file-name order) and jinja
macros that models import.
"""

from __future__ import annotations

import hashlib
import heapq
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import jinja2
import sqlglot
from sqlglot import exp
from sqlglot.optimizer.scope import traverse_scope

from distill_duck import __version__
from distill_duck.errors import DistillError
from distill_duck.sqlquote import ident, lit

# Installed wheels carry the models inside the package; a source checkout has them at the top.
_PACKAGE_DIR = Path(__file__).resolve().parent
SQL_DIR = _PACKAGE_DIR / "sql" if (_PACKAGE_DIR / "sql").is_dir() else _PACKAGE_DIR.parent / "sql"
MACRO_DIR = "macros"
# the folders under sql/, in the order data flows through them
FLOW = ("inputs", "safety", "gates", "exports", "summaries", "warehouse", "receipts", "health", "report")


@dataclass(frozen=True)
class Model:
    name: str
    path: Path
    stage: str
    sql: str
    depends_on: tuple[str, ...]
    config: Mapping[str, Any] = field(default_factory=dict)


class Project:
    """The models under one ``sql/`` folder, rendered with one set of run options."""

    def __init__(self, context: Mapping[str, Any] | None = None, sql_dir: Path = SQL_DIR):
        self.sql_dir = sql_dir
        self.context = dict(context or {})
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(sql_dir)),
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
        )
        # run options are globals so that imported jinja macros see them too
        self.env.globals.update(self.context, lit=lit, ident=ident)
        self._models: dict[str, Model] | None = None
        self._macros: list[tuple[str, str]] | None = None

    # -- discovery and rendering -------------------------------------------------------
    def model_paths(self) -> dict[str, Path]:
        paths: dict[str, Path] = {}
        for path in sorted(self.sql_dir.rglob("*.sql")):
            rel = path.relative_to(self.sql_dir)
            if rel.parts[0] == MACRO_DIR:
                continue
            if path.stem in paths:
                raise DistillError(
                    f"two models are named {path.stem!r}: {paths[path.stem]} and {path}; "
                    "rename one (a model's file name is its relation name)"
                )
            paths[path.stem] = path
        return paths

    def macro_sql(self) -> list[tuple[str, str]]:
        """The DuckDB macro definitions, rendered, in file-name order."""
        if self._macros is None:
            self._macros = []
            for path in sorted((self.sql_dir / MACRO_DIR).glob("*.sql")):
                sql = self._render(path).strip()
                if sql:
                    self._macros.append((path.name, sql))
        return self._macros

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
        template = self.env.get_template(path.relative_to(self.sql_dir).as_posix())

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
            stage = path.parent.relative_to(self.sql_dir).as_posix()
            models[name] = Model(name, path, stage, sql, tuple(sorted(deps)), config)
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
        models = self.models
        wanted = set(models) if select is None else set()
        for name in select or ():
            if name not in models:
                raise DistillError(
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
        """The models that form the warehouse's public interface (``config(publish=true)``)."""
        return [m for m in self.ordered() if m.config.get("publish")]

    def install_macros(self, con: duckdb.DuckDBPyConnection) -> None:
        for filename, sql in self.macro_sql():
            try:
                con.execute(sql)
            except duckdb.Error as e:
                raise DistillError(f"sql/macros/{filename} failed: {_one_line(e)}") from e

    def run(
        self,
        con: duckdb.DuckDBPyConnection,
        select: Iterable[str] | None = None,
        progress: Callable[[str], None] | None = None,
        upstream: bool = True,
        incremental: Callable[[Model], None] | None = None,
    ) -> dict[str, float]:
        """Install the macros, then create every selected model's table; return seconds
        per model. Models configured ``materialized='incremental'`` are handed to
        ``incremental`` when given (see input_cache.py), else built whole like a table."""
        timings: dict[str, float] = {}
        self.install_macros(con)
        for model in self.ordered(select, upstream):
            if progress:
                progress(f"{model.stage}/{model.name}")
            started = time.perf_counter()
            try:
                # a view streams into its readers: for one-reader steps that would otherwise
                # store a copy of every text
                materialized = model.config.get("materialized")
                if materialized == "incremental" and incremental is not None:
                    incremental(model)
                else:
                    kind = "VIEW" if materialized == "view" else "TABLE"
                    con.execute(f"CREATE OR REPLACE {kind} {ident(model.name)} AS {model.sql}")
            except duckdb.OutOfMemoryException as e:
                limit = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
                raise DistillError(
                    f"model {model.name!r} ran out of memory under DuckDB's memory_limit of {limit}: "
                    "set DISTILL_DUCK_MEMORY_LIMIT higher (e.g. DISTILL_DUCK_MEMORY_LIMIT=4GB) and run "
                    "again (input lines of tens of MB need about 80 times their size)"
                ) from e
            except duckdb.Error as e:
                raise DistillError(f"model {model.name!r} failed: {_one_line(e)}") from e
            timings[model.name] = time.perf_counter() - started
        return timings


def _references(name: str, sql: str) -> set[str]:
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
    return refs


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
