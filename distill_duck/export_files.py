"""The ``export`` materialization: a model's new lines COPYed to a scratch file beside the
run, then appended to the output file once the run's checks pass."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import duckdb

from distill_duck.errors import DistillError, duckdb_failure
from distill_duck.lakehouse import Lakehouse
from distill_duck.outputs import commit, prepare_append
from distill_duck.runner import Model, build_table
from distill_duck.sqlquote import ident, lit

# the folders under .distill_duck/ holding a run's new lines until they are appended
STAGE_PREFIX = "new-lines-"


class Staging:
    """The export strategy: build the model's table of new lines, COPY them to
    ``stage_dir`` at the target's relative path (the warehouse's quarantine relation names
    a row's file by its name), and remember what was staged for the write."""

    def __init__(self, stage_dir: Path):
        self.stage_dir = stage_dir
        self.staged: dict[str, Path] = {}  # target -> scratch file, for targets with new lines
        self.rows_written: dict[str, int] = {}  # target -> new lines

    def __call__(self, con: duckdb.DuckDBPyConnection, model: Model) -> None:
        build_table(con, model)
        self.stage(con, model)

    def stage(self, con: duckdb.DuckDBPyConnection, model: Model) -> None:
        """Stage the lines of a model whose table is built (by another engine)."""
        target = str(model.config.export)
        scratch, rows = stage_export(con, model, self.stage_dir / target)
        self.rows_written[target] = rows
        if rows:
            self.staged[target] = scratch


def stage_export(con: duckdb.DuckDBPyConnection, model: Model, scratch: Path) -> tuple[Path, int]:
    """COPY a model's new lines to ``scratch``. Returns (scratch, rows)."""
    relation = ident(model.name)
    row = con.execute(f"SELECT count(*), count(*) FILTER (WHERE jsonl IS NULL) FROM {relation}").fetchone()
    rows, nulls = row if row else (0, 0)
    if nulls:
        raise DistillError(
            f"model {model.name!r} built {nulls} empty lines; nothing was written "
            "(this is a bug: please report it with the input that caused it)"
        )
    scratch.parent.mkdir(parents=True, exist_ok=True)
    try:
        # One thread, order not tracked: the table is scanned in its stored (input) order
        # and each row goes straight to the file. With order tracking DuckDB formats a
        # whole row group (~120k rows, hundreds of MB of text) in memory before writing it.
        threads = con.execute("SELECT current_setting('threads')").fetchone()[0]
        con.execute("SET threads = 1")
        con.execute("SET preserve_insertion_order = false")
        try:
            con.execute(
                f"COPY (SELECT jsonl FROM {relation}) TO {lit(str(scratch))} "
                "(FORMAT csv, HEADER false, QUOTE '', ESCAPE '', DELIMITER '\x1f')"
            )
        finally:
            con.execute("RESET preserve_insertion_order")
            con.execute(f"SET threads = {int(threads)}")
        return scratch, rows
    except duckdb.Error as e:
        raise duckdb_failure(e, f"writing {scratch.name} failed: {' '.join(str(e).split())}") from e


def write_exports(lake: Lakehouse, staged: Mapping[str, Path], quarantine_files: frozenset[str]) -> None:
    """Append every staged file's lines to its output file."""
    # quarantine files first: if a crash falls between the two, the re-run still sees the
    # dataset without the new ids and re-derives the same duplicate_id rows, so it
    # converges to the bytes of an uninterrupted run
    quarantine_first = sorted(staged, key=lambda rel: rel not in quarantine_files)
    # two phases: every new file version is written and synced beside its target first, so
    # a failing write (permissions, a full disk) changes nothing; only then are they renamed
    # in, each rename atomic
    prepared: list[tuple[Path, Path]] = []
    try:
        for rel in quarantine_first:
            tmp = prepare_append(lake.path(rel), staged[rel])
            if tmp is not None:
                prepared.append((tmp, lake.path(rel)))
    except BaseException:
        for tmp, _ in prepared:
            tmp.unlink(missing_ok=True)
        raise
    for tmp, target_path in prepared:
        commit(tmp, target_path)
