"""`distill-duck query`: read-only SQL against the warehouse, printed as a table, CSV or JSON.

The warehouse is opened read-only and then DuckDB's external access is switched off, so a
query can read the warehouse and nothing else: no COPY TO, no read_text of other files, no
ATTACH, no extensions. Values are turned into text by DuckDB itself (lists, structs and
JSON as JSON), so every format shows what the warehouse holds, not a Python repr.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import duckdb

from distill_duck.errors import DistillError, UsageError, duckdb_failure
from distill_duck.lakehouse import WAREHOUSE
from distill_duck.sqlquote import ident

# the table format cuts longer cells (and says so under the table)
CELL_WIDTH = 60
# DuckDB type ids whose values are written as JSON text
_NESTED = frozenset({"list", "struct", "map", "array", "union"})


def query(root: Path, sql: str, fmt: str = "table") -> str:
    path = root / WAREHOUSE
    if not path.is_file():
        raise DistillError(f"no warehouse at {path}; run `distill-duck export-all --root {root}` first")
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as e:
        raise DistillError(f"cannot open {path} read-only: {_one_line(e)}") from e
    try:
        # once the warehouse is open, nothing else on the machine is reachable (and a query
        # cannot switch it back on: DuckDB refuses while the database is running)
        con.execute("SET enable_external_access = false")
        try:
            statements = con.extract_statements(sql)
        except duckdb.Error as e:
            raise UsageError(f"query failed: {_one_line(e)}") from e
        if not statements:
            raise UsageError("the query holds no SQL statement (only blanks or comments); "
                             "pass one, e.g. \"SELECT reason, count(*) FROM quarantine GROUP BY 1\"")
        if fmt != "table" and len(statements) > 1:
            raise UsageError(f"--format {fmt} prints one result, and the query holds {len(statements)} "
                             "statements; pass one statement (or use the table format)")
        results = [_run(con, s.query) for s in statements]
    finally:
        con.close()
    if fmt == "json":
        return "[" + ",\n".join(results[0][2]) + "]"
    if fmt == "csv":
        columns, rows, _ = results[0]
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)
        return out.getvalue().rstrip("\n")
    return "\n\n".join(_table(columns, rows) for columns, rows, _ in results)


Rows = list[tuple[str | None, ...]]


def _run(con: duckdb.DuckDBPyConnection, statement: str) -> tuple[list[str], Rows, list[str]]:
    """One statement's column names, its rows with every value as DuckDB's text of it
    (nested values and JSON as JSON), and each row as one JSON object (--format json)."""
    try:
        rel = con.sql(statement)
        if rel is None:  # a statement without a result
            return [], [], []
        columns = rel.columns
        texts = [f"to_json({ident(c)})::VARCHAR" if t.id in _NESTED or str(t) == "JSON"
                 else f"CAST({ident(c)} AS VARCHAR)" for c, t in zip(columns, rel.types, strict=True)]
        # the row as one JSON object, for --format json (JSON columns stay JSON, not strings)
        texts.append("to_json(result)::VARCHAR")
        rows = rel.query("result", f"SELECT {', '.join(texts)} FROM result").fetchall()
    except duckdb.Error as e:
        # the user's SQL is wrong (exit 2), unless DuckDB ran out of room (exit 3)
        if isinstance(e, duckdb.OutOfMemoryException):
            raise duckdb_failure(e, f"query failed: {_one_line(e)}") from e
        raise UsageError(f"query failed: {_one_line(e)}") from e
    return list(columns), [r[:-1] for r in rows], [r[-1] for r in rows]


def _one_line(e: BaseException) -> str:
    return " ".join(str(e).split())


def _table(columns: list[str], rows: Rows) -> str:
    cut = 0

    def cell(v: str | None) -> str:
        nonlocal cut
        text = "NULL" if v is None else v.replace("\n", "\\n")
        if len(text) <= CELL_WIDTH:
            return text
        cut += 1
        return text[:CELL_WIDTH - 3] + "..."

    cells = [[cell(v) for v in r] for r in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    line = "  ".join("-" * w for w in widths)
    out = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)), line]
    out += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
    footer = f"({len(rows)} row{'s' if len(rows) != 1 else ''}"
    if cut:
        footer += (f"; {cut} cell{'s' if cut != 1 else ''} cut at {CELL_WIDTH} characters, "
                   "use --format csv or json for whole values")
    out.append(footer + ")")
    return "\n".join(out)
