"""`distill-duck health`: audit the output files on disk (SPEC section 11).

The checks are the SQL models ``health_lines`` and ``health_violations``; this module
looks at each file's bytes once (line count, how it ends, whether DuckDB can stream it),
runs the models and reports. Health writes nothing under the root: its scratch database
and spill files live in the system temp directory.
"""

from __future__ import annotations

import codecs
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from distill_duck.bindings import EMPTY_JSONL, set_inputs
from distill_duck.errors import DistillError
from distill_duck.lakehouse import Lakehouse
from distill_duck.runner import Project
from distill_duck.session import RunOptions, connect
from distill_duck.sqlquote import bind_variables

# bytes that DuckDB's line reader treats specially (CR ends a line for it; \x01 is the
# delimiter the model gives it): files holding them, never written by distill-duck, are
# split exactly instead
_UNSTREAMABLE = (b"\r", b"\x00", b"\x01")
# DuckDB's line reader holds a buffer of twice its longest line (health_lines sets 8 MiB
# and 16 MiB); files with longer lines are split exactly, as the exporters read such lines
STREAMED_LINE_BYTES = 4 << 20
_BLOCK = 1 << 20  # must stay below STREAMED_LINE_BYTES (see file_shape)


@dataclass
class HealthReport:
    files: dict[str, int]  # file -> number of lines on disk
    violations: list[dict[str, Any]]

    @property
    def ok(self) -> bool:
        return not self.violations

    def as_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "files": self.files, "violations": self.violations}


@dataclass(frozen=True)
class FileShape:
    newlines: int
    unterminated: bool  # non-empty and the last byte is not a newline
    streamable: bool  # valid UTF-8 without the bytes in _UNSTREAMABLE, no line too long

    @property
    def rows(self) -> int:
        """Physical lines a line reader yields (the unterminated last one included)."""
        return self.newlines + self.unterminated


def file_shape(path: Path) -> FileShape:
    """One pass over a file's bytes, in 1 MiB blocks (no per-line work in Python)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    newlines, streamable, last = 0, True, b""
    # bytes since the last newline: a line within one block is shorter than a block, so
    # only lines crossing blocks can be long, and those are measured exactly
    run = longest = 0
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_BLOCK), b""):
            newlines += chunk.count(b"\n")
            last = chunk[-1:]
            first = chunk.find(b"\n")
            if first < 0:
                run += len(chunk)
            else:
                longest = max(longest, run + first)
                run = len(chunk) - 1 - chunk.rfind(b"\n")
            if streamable:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    streamable = False
                streamable = streamable and not any(b in chunk for b in _UNSTREAMABLE)
    if streamable:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            streamable = False
    longest = max(longest, run)
    return FileShape(newlines, last not in (b"", b"\n"), streamable and longest < STREAMED_LINE_BYTES)


def audit(root: Path) -> HealthReport:
    lake = Lakehouse(root)
    project = Project(RunOptions().context())
    existing = [p for p in project.exporters.outputs if lake.path(p).is_file()]
    shapes = {rel: file_shape(lake.path(rel)) for rel in existing}
    streamed = [rel for rel in existing if shapes[rel].streamable]
    with tempfile.TemporaryDirectory(prefix="distill-duck-health-") as scratch:
        # a scratch database file, not memory: DuckDB can evict what the audit keeps
        con = connect(str(Path(scratch) / "health.duckdb"), spill_dir=Path(scratch) / "spill")
        try:
            set_inputs(con, lake, project.exporters, existing)
            bind_variables(con, {
                # the read_* functions need at least one file: the lists end with an empty one
                "health_streamed_paths": [lake.path(r) for r in streamed] + [EMPTY_JSONL],
                "health_exact_paths": [lake.path(r) for r in existing if r not in streamed] + [EMPTY_JSONL],
                "health_unterminated": [r for r in existing if shapes[r].unterminated],
            })
            project.run(con, ["health_violations"])
            _check_streamed(con, {r: shapes[r] for r in streamed})
            cur = con.execute("SELECT file, line, check_name, message FROM health_violations")
            violations = [dict(zip(("file", "line", "check", "message"), row, strict=True))
                          for row in cur.fetchall()]
        finally:
            con.close()
    return HealthReport({rel: shapes[rel].newlines for rel in existing}, violations)


def _check_streamed(con: Any, shapes: dict[str, FileShape]) -> None:
    """The streamed line numbers hold only if the reader gave every file's lines, in order,
    without a gap: compare with the byte counts rather than trust it."""
    got = {f: (n, span) for f, n, span in con.execute(
        "SELECT file, count(*), max(seq) - min(seq) + 1 FROM health_lines"
        " WHERE seq IS NOT NULL GROUP BY file").fetchall()}
    for rel, shape in shapes.items():
        n, span = got.get(rel, (0, 0))
        if n != shape.rows or span != n:
            raise DistillError(f"health read {n} lines of {rel} (in {span} positions), but it has "
                               f"{shape.rows}; this is a bug: please report it")
