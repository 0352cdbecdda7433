"""The one quoting helper: every value that enters SQL text goes through here."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb
import jinja2


def lit(value: Any) -> str:
    """A SQL literal for a Python value (str, bool, int, float, None, or lists of them)."""
    if isinstance(value, jinja2.Undefined):
        value._fail_with_undefined_error()  # a misspelt template variable: jinja's own error
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("NUL characters cannot be written into SQL text")
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, Sequence):
        return "[" + ", ".join(lit(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{lit(str(k))}: {lit(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {type(value).__name__} as a SQL literal")


def glob_escape(path: str) -> str:
    """A path DuckDB's file readers take literally: they expand * ? [ as glob patterns,
    and a one-character class matches the character itself."""
    return "".join(f"[{c}]" if c in "*?[" else c for c in path)


def ident(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def bind_variables(con: duckdb.DuckDBPyConnection,
                   values: Mapping[str, Sequence[Path] | Sequence[str] | str]) -> None:
    """Set DuckDB variables the models read with getvariable, as bound parameters: path
    lists glob-escaped (DuckDB's readers expand * ? [), strings and lists of strings (names
    no reader opens) as they are."""
    for name, value in values.items():
        if isinstance(value, str):
            con.execute(f"SET VARIABLE {name} = ?::VARCHAR", [value])
        elif all(isinstance(v, str) for v in value):
            con.execute(f"SET VARIABLE {name} = ?::VARCHAR[]", [list(value)])
        else:
            con.execute(f"SET VARIABLE {name} = ?::VARCHAR[]", [[glob_escape(str(p)) for p in value]])
