"""warehouse.duckdb.example must match what the current models publish."""

from __future__ import annotations

from pathlib import Path

import duckdb

from distill_duck.example import EXAMPLE, build_example

REPO = Path(__file__).resolve().parent.parent

SHAPE = """
SELECT t.table_name, t.comment AS table_comment, c.column_name, c.data_type, c.comment AS column_comment
FROM duckdb_tables() AS t
JOIN duckdb_columns() AS c USING (database_name, schema_name, table_name)
ORDER BY t.table_name, c.column_index
"""


def _shape(path: Path) -> list[tuple[object, ...]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(SHAPE).fetchall()
    finally:
        con.close()


def _counts(path: Path) -> dict[str, int]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
        return {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
    finally:
        con.close()


def test_example_warehouse_matches_current_models(tmp_path: Path) -> None:
    fresh = build_example(tmp_path / "fresh.duckdb")
    committed = REPO / EXAMPLE
    assert committed.is_file(), "run `python -m distill_duck.example` to create it"
    msg = "warehouse.duckdb.example is stale: run `python -m distill_duck.example` and commit it"
    assert _shape(committed) == _shape(fresh), msg
    assert _counts(committed) == _counts(fresh), msg


def test_every_relation_and_column_is_documented() -> None:
    for table, table_comment, column, _type, column_comment in _shape(REPO / EXAMPLE):
        assert table_comment, f"{table} has no comment"
        assert column_comment, f"{table}.{column} has no comment"
