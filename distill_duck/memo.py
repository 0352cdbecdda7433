"""The ``memo`` materialization: values computed once per key and kept between runs.

A memo model (``config(materialized='memo', key='<column>')``) is a relation over a table
kept in the input cache database (``<root>/.distill_duck/input_cache.duckdb``); its own SQL
gives the columns (it selects no rows). A table naming it (``config(memo='<model>')``)
reads it to skip what an earlier run computed, and once built adds its rows of new keys to
it. A memo is content-addressed (the duplicate gates' fingerprints by the md5 of the text):
whatever it holds stays true, so a failed run adding to it changes no result. It starts
afresh when its model's SQL lineage (the code computing the values) changes.
"""

from __future__ import annotations

import duckdb

from distill_duck.input_cache import CACHE, cached_table, transaction
from distill_duck.runner import Model, Project, build_table
from distill_duck.sqlquote import ident, lit


class Memos:
    """The strategies of an export run: ``memo`` and ``table`` (a table then its memo)."""

    def __init__(self, project: Project) -> None:
        self.project = project

    def stored(self, name: str) -> str:
        return f"{CACHE}.{ident(name)}"

    def memo(self, con: duckdb.DuckDBPyConnection, model: Model) -> None:
        table, version = self.stored(model.name), self.stored(model.name + "__version")
        lineage = self.project.sql_lineage(model.name)
        kept = (cached_table(con, model.name + "__version")
                and con.execute(f"SELECT lineage FROM {version}").fetchone() == (lineage,))
        if not kept:
            with transaction(con):
                con.execute(f"CREATE OR REPLACE TABLE {table} AS {model.sql}")
                con.execute(f"CREATE OR REPLACE TABLE {version} AS SELECT {lit(lineage)} AS lineage")
        con.execute(f"CREATE OR REPLACE VIEW {ident(model.name)} AS SELECT * FROM {table}")

    def table(self, con: duckdb.DuckDBPyConnection, model: Model) -> None:
        build_table(con, model)
        if model.config.memo is None:
            return
        memo = self.project.models[model.config.memo]  # a memo model it reads (checked on load)
        key, table = ident(str(memo.config.key)), self.stored(memo.name)
        columns = ", ".join(ident(c) for (c,) in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE database_name = ? AND table_name = ? "
            "ORDER BY column_index", [CACHE, memo.name]).fetchall())
        con.execute(
            f"INSERT INTO {table} BY NAME SELECT DISTINCT ON ({key}) {columns} FROM {ident(model.name)} "
            f"WHERE {key} IS NOT NULL AND {key} NOT IN (SELECT {key} FROM {table})")
