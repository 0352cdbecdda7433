"""The warehouse file: built beside the old one, then swapped in (SPEC section 10).

DuckDB lets one process write a database file or many read it. A BI tool holding
``warehouse.duckdb`` open read-only must not make a run fail, and must never see half a
run, so a run never writes that file: it writes a new file next to it and renames it over
the old one. Open readers keep the old file until they reconnect.

Most runs change few relations (a re-run with nothing new changes only ``runs``), and the
big ones hold every text. So each relation carries a fingerprint of what it was built from
(its SQL and its upstream models' SQL, and the size, mtime, ctime and inode of every file
they read), kept in ``warehouse_sources``. When the old file can be read, the new one starts
as a byte copy of it and only relations whose fingerprint changed are rebuilt.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import duckdb

from distill_duck.errors import UsageError
from distill_duck.lakehouse import WAREHOUSE, file_stat
from distill_duck.runner import Model, Project
from distill_duck.sqlquote import ident, lit

# The storage format of warehouse.duckdb. DuckDB 2.0's own format cannot be opened by the
# 1.x clients BI tools and notebooks bundle; v1.4.0 opens in DuckDB 1.4, 1.5 and 2.0.
STORAGE_VERSION_ENV = "DISTILL_DUCK_WAREHOUSE_STORAGE_VERSION"
DEFAULT_STORAGE_VERSION = "v1.4.0"
SOURCES = "warehouse_sources"
PREVIOUS = "previous_warehouse"
SOURCES_COMMENT = (
    "One row per relation: a fingerprint of what it was built from (the models' SQL and the "
    "size, mtime, ctime and inode of every file they read). A run rebuilds a relation only "
    "when its fingerprint changes; the others are carried over from the previous warehouse."
)
SOURCES_COLUMNS = {
    "relation": "relation name in this warehouse",
    "fingerprint": "sha256 of the relation's SQL (with its upstream models) and its input files' stat facts",
    "built_at": "when this version of the relation was built (UTC, ISO-8601)",
}
# a copied file whose free blocks outnumber its used ones is rebuilt from scratch instead
_MAX_FREE_SHARE = 0.5

# what a model's DuckDB variables hold: a path list (files read) or a plain value
Bound = Mapping[str, "Sequence[Path] | str"]


def storage_version() -> str:
    """The configured storage format ($DISTILL_DUCK_WAREHOUSE_STORAGE_VERSION, default
    v1.4.0); a UsageError when this DuckDB cannot write it. Runs check it before writing."""
    return _checked_storage_version(os.environ.get(STORAGE_VERSION_ENV) or DEFAULT_STORAGE_VERSION)


@functools.lru_cache(maxsize=16)
def _checked_storage_version(value: str) -> str:
    probe = duckdb.connect()
    try:
        probe.execute(f"ATTACH ':memory:' AS probe (STORAGE_VERSION {lit(value)})")
    except duckdb.Error as e:
        raise UsageError(f"{STORAGE_VERSION_ENV}={value!r} is not a storage version DuckDB "
                         f"{duckdb.__version__} writes; use one like {DEFAULT_STORAGE_VERSION} "
                         "(the oldest DuckDB that must open the warehouse)") from e
    finally:
        probe.close()
    return value


def fingerprints(project: Project, models: Iterable[Model], bound: Bound) -> dict[str, str]:
    """For each model: sha256 of its SQL lineage (Project.sql_lineage) and the variables
    it and its upstream models read (for path lists, each file's size, mtime, ctime and
    inode, so any write or replacement changes it)."""
    result = {}
    for model in models:
        digest = hashlib.sha256(project.sql_lineage(model.name).encode())
        names = set().union(*(m.variables for m in project.ordered([model.name])))
        for name in sorted(names):
            digest.update(f"\0{name}=".encode())
            value = bound.get(name)
            if value is None or isinstance(value, str):
                digest.update(repr(value).encode())
                continue
            for path in value:
                try:
                    facts = file_stat(path)
                except OSError:
                    facts = "missing"
                digest.update(f"\0{path}\0{facts}".encode())
        result[model.name] = digest.hexdigest()
    return result


def attach_previous(con: duckdb.DuckDBPyConnection, root: Path) -> dict[str, str]:
    """Attach the current warehouse read-only as ``previous_warehouse`` and return its
    relations' fingerprints; {} (and nothing attached) when there is no file to build on:
    none yet, one without fingerprints, one with a pending write-ahead log, one mostly free
    space, or one that cannot be opened (another process writing it)."""
    target = root / WAREHOUSE
    if not target.is_file() or Path(f"{target}.wal").exists() or "?" in str(root):
        return {}
    try:
        con.execute(f"ATTACH {lit(str(target))} AS {PREVIOUS} (READ_ONLY)")
    except duckdb.Error:
        return {}
    try:
        total, free = con.execute(
            "SELECT total_blocks, free_blocks FROM pragma_database_size() WHERE database_name = ?",
            [PREVIOUS],
        ).fetchone() or (0, 0)
        if total and free > _MAX_FREE_SHARE * total:
            raise LookupError("mostly free space: build afresh")
        (stored,) = con.execute("SELECT tags['storage_version'] FROM duckdb_databases()"
                                " WHERE database_name = ?", [PREVIOUS]).fetchone() or (None,)
        if stored != f"{storage_version()}+":
            # a copy would keep the old format; "latest" always rebuilds
            raise LookupError("another storage format: build afresh")
        return dict(con.execute(
            f"SELECT s.relation, s.fingerprint FROM {PREVIOUS}.{SOURCES} AS s"
            " JOIN duckdb_tables() AS t ON t.database_name = ? AND t.table_name = s.relation",
            [PREVIOUS],
        ).fetchall())
    except (duckdb.Error, LookupError):
        detach_previous(con)
        return {}


def detach_previous(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"DETACH DATABASE IF EXISTS {PREVIOUS}")


def publish(
    con: duckdb.DuckDBPyConnection,
    root: Path,
    models: Iterable[Model],
    prints: Mapping[str, str],
    keep: Iterable[str] = (),
    built_at: str = "",
) -> Path:
    """Write the models' tables (with the comments their configs give) into a new warehouse
    file and swap it in. Relations in ``keep`` are carried over from ``previous_warehouse``
    (attached by attach_previous): the new file starts as a copy of the old one."""
    models = list(models)
    keep = set(keep)
    target = root / WAREHOUSE
    fd, name = tempfile.mkstemp(prefix=".warehouse.", suffix=".duckdb", dir=root)
    os.close(fd)
    build = Path(name)
    build.unlink()  # DuckDB creates the file itself
    try:
        if keep:
            # the read-only attachment holds DuckDB's shared lock, so no writer can change
            # the file while it is copied
            shutil.copyfile(target, build)
        detach_previous(con)
        if "?" in str(root):
            # DuckDB puts the write-ahead log before the first "?" of a path (it reads it as a
            # URL query), so such a root gets its warehouse built elsewhere and copied in
            with tempfile.TemporaryDirectory(prefix="distill-duck-") as tmp:
                _build(con, Path(tmp) / "warehouse.duckdb", models, prints, keep, built_at)
                shutil.copyfile(Path(tmp) / "warehouse.duckdb", build)
        else:
            _build(con, build, models, prints, keep, built_at)
        with open(build, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(build, target)
    except BaseException:
        build.unlink(missing_ok=True)
        Path(str(build) + ".wal").unlink(missing_ok=True)
        raise
    return target


def _build(
    con: duckdb.DuckDBPyConnection,
    build: Path,
    models: list[Model],
    prints: Mapping[str, str],
    keep: set[str],
    built_at: str,
) -> None:
    con.execute(f"ATTACH {lit(str(build))} AS build_warehouse (STORAGE_VERSION {lit(storage_version())})")
    try:
        built = dict(con.execute(
            f"SELECT relation, built_at FROM build_warehouse.{SOURCES}").fetchall()) if keep else {}
        for (table,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = 'build_warehouse'"
        ).fetchall():
            if table not in keep:
                con.execute(f"DROP TABLE build_warehouse.{ident(table)}")
        for model in models:
            if model.name in keep:
                continue
            table = f"build_warehouse.{ident(model.name)}"
            con.execute(f"CREATE TABLE {table} AS SELECT * FROM {ident(model.name)}")
            built[model.name] = built_at
            _comment(con, table, model.config.comment, model.config.columns)
        sources = f"build_warehouse.{SOURCES}"
        con.execute(f"CREATE TABLE {sources} (relation VARCHAR, fingerprint VARCHAR, built_at VARCHAR)")
        con.executemany(f"INSERT INTO {sources} VALUES (?, ?, ?)",
                        [[m.name, prints.get(m.name), built.get(m.name, built_at)] for m in models])
        _comment(con, sources, SOURCES_COMMENT, SOURCES_COLUMNS)
    finally:
        con.execute("DETACH build_warehouse")


def _comment(con: duckdb.DuckDBPyConnection, table: str, comment: str | None,
             columns: Mapping[str, str]) -> None:
    if comment:
        con.execute(f"COMMENT ON TABLE {table} IS {lit(comment)}")
    for column, text in columns.items():
        con.execute(f"COMMENT ON COLUMN {table}.{ident(column)} IS {lit(text)}")
