"""The warehouse file: built beside the old one, then swapped in (SPEC section 10).

DuckDB lets one process write a database file or many read it. A BI tool holding
``warehouse.duckdb`` open read-only must not make a run fail, and must never see half a
run, so a run never opens that file: it writes a new file next to it and renames it over
the old one. Open readers keep the old file until they reconnect.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

import duckdb

from distill_duck.lakehouse import WAREHOUSE
from distill_duck.runner import Model
from distill_duck.sqlquote import ident, lit


def publish(con: duckdb.DuckDBPyConnection, root: Path, models: Iterable[Model]) -> Path:
    """Copy the models' tables from ``con`` into a fresh warehouse file, with the table and
    column comments their configs give, and swap it in."""
    target = root / WAREHOUSE
    fd, name = tempfile.mkstemp(prefix=".warehouse.", suffix=".duckdb", dir=root)
    os.close(fd)
    build = Path(name)
    build.unlink()  # DuckDB creates the file itself
    try:
        if "?" in str(root):
            # DuckDB puts the write-ahead log before the first "?" of a path (it reads it as a
            # URL query), so such a root gets its warehouse built elsewhere and copied in
            with tempfile.TemporaryDirectory(prefix="distill-duck-") as tmp:
                _build(con, Path(tmp) / "warehouse.duckdb", models)
                shutil.copyfile(Path(tmp) / "warehouse.duckdb", build)
        else:
            _build(con, build, models)
        with open(build, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(build, target)
    except BaseException:
        build.unlink(missing_ok=True)
        Path(str(build) + ".wal").unlink(missing_ok=True)
        raise
    return target


def _build(con: duckdb.DuckDBPyConnection, build: Path, models: Iterable[Model]) -> None:
    con.execute(f"ATTACH {lit(str(build))} AS build_warehouse")
    try:
        for model in models:
            table = f"build_warehouse.{ident(model.name)}"
            con.execute(f"CREATE TABLE {table} AS SELECT * FROM {ident(model.name)}")
            if "comment" in model.config:
                con.execute(f"COMMENT ON TABLE {table} IS {lit(model.config['comment'])}")
            for column, text in model.config.get("columns", {}).items():
                con.execute(f"COMMENT ON COLUMN {table}.{ident(column)} IS {lit(text)}")
    finally:
        con.execute("DETACH build_warehouse")
