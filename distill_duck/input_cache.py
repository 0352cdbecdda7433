"""The parsed-input cache: input models materialized incrementally, one partition file at a
time (``config(materialized='incremental', files='<variable>')``).

Partition files are immutable once a day is over, yet parsing them line by line is most of
a run's reading cost. An incremental model keeps its rows in ``<root>/.distill_duck/
input_cache.duckdb`` with a fingerprint per file (size, mtime, ctime, inode, and the SQL that
parsed it); a run parses only the files that are new or whose fingerprint changed, deletes
the rows of changed or vanished files, and reads the rest from the cache. The model's SQL
is the same either way: while it runs, the files variable holds only the files to parse.

The cache is rebuilt from scratch when it cannot be opened; it is never the only copy of
anything.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import duckdb

from distill_duck.bindings import root_prefix
from distill_duck.lakehouse import Lakehouse, file_stat
from distill_duck.runner import Model, Project
from distill_duck.sqlquote import bind_variables, ident, lit

CACHE = "input_cache"
CACHE_FILE = "input_cache.duckdb"


def cached_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Whether the attached cache database holds a table of this name."""
    row = con.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = ? AND table_name = ?",
                      [CACHE, name]).fetchone()
    return bool(row and row[0])


@contextlib.contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """All of the cache's changes inside, or none (a crash or error rolls them back)."""
    con.execute("BEGIN")
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


class InputCache:
    """Runs incremental models against a cache database attached as ``input_cache``."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path, project: Project,
                 bound: Mapping[str, Sequence[Path] | str]) -> None:
        self.con, self.project, self.bound = con, project, bound
        self.parsed: dict[str, int] = {}  # model -> files parsed this run
        try:
            con.execute(f"ATTACH {lit(str(path))} AS {CACHE}")
        except duckdb.Error:
            # unreadable (a crash mid-checkpoint, another version's format): start over
            path.unlink(missing_ok=True)
            Path(f"{path}.wal").unlink(missing_ok=True)
            con.execute(f"ATTACH {lit(str(path))} AS {CACHE}")

    def files_variable(self, name: str) -> str:
        return str(self.project.models[name].config.files)

    def strategy(self, con: duckdb.DuckDBPyConnection, model: Model) -> None:
        """The incremental strategy (runner.Project.run), on the cache's connection."""
        assert con is self.con
        self.run(model)

    def _tables(self, model: Model) -> tuple[str, str]:
        """The cache's table of the model's rows and its table of file fingerprints."""
        return f"{CACHE}.{ident(model.name)}", f"{CACHE}.{ident(model.name + '__files')}"

    def _fingerprints(self, paths: Mapping[str, Path], model: Model) -> dict[str, str]:
        # a file's rows depend on its bytes and on the SQL that parsed it
        version = self.project.sql_lineage(model.name)
        return {rel: f"{file_stat(p)}:{version}" for rel, p in paths.items()}

    def run(self, model: Model) -> None:
        con, variable = self.con, str(model.config.files)
        prefix = str(self.bound["root_prefix"])
        paths = list(self.bound[variable])
        files_by_rel = {str(p)[len(prefix):]: p for p in paths}  # (rows name files root-relative)
        prints = self._fingerprints(files_by_rel, model)
        table, files = self._tables(model)
        exists = cached_table(con, model.name + "__files")
        old = dict(con.execute(f"SELECT file, fingerprint FROM {files}").fetchall()) if exists else {}
        unchanged = [rel for rel, fp in prints.items() if old.get(rel) == fp]
        todo = [p for rel, p in files_by_rel.items() if old.get(rel) != prints[rel]]
        self.parsed[model.name] = len(todo)
        bind_variables(con, {variable: todo})
        try:
            with transaction(con):
                if not unchanged:
                    con.execute(f"CREATE OR REPLACE TABLE {table} AS {model.sql}")
                else:
                    con.execute(f"DELETE FROM {table} WHERE file NOT IN (SELECT unnest(?::VARCHAR[]))",
                                [unchanged])
                    if todo:  # (a reader of no files at all may refuse to run)
                        con.execute(f"INSERT INTO {table} {model.sql}")
                con.execute(f"CREATE OR REPLACE TABLE {files} (file VARCHAR, fingerprint VARCHAR)")
                _keep(con, files, prints)
        finally:
            # downstream models see every file again
            bind_variables(con, {variable: paths})
        con.execute(f"CREATE OR REPLACE VIEW {ident(model.name)} AS SELECT * FROM {table}")

    @contextlib.contextmanager
    def appending(self, lake: Lakehouse, stage_dir: Path, staged: Mapping[str, Path]) -> Iterator[None]:
        """Around the write of the staged lines: for each ``appended`` model built this run,
        add the rows of the lines about to be appended to each output file (the model's own
        SQL over the staged copies, which sit under ``stage_dir`` at the targets' relative
        paths, so with the root there they read as the targets), then, once the files are
        renamed in, keep each file as it is now. The next run reads none of the lines this
        one wrote; a file anyone else changes no longer matches and is read whole again.
        One transaction: a failed or interrupted write leaves the cache as it was."""
        con, prefix = self.con, str(self.bound["root_prefix"])
        models = [self.project.models[n] for n in self.parsed if self.project.models[n].config.appended]
        targets = sorted(staged)
        if not models or not targets:
            yield
            return
        with transaction(con):
            for model in models:
                variable = str(model.config.files)
                paths = list(self.bound[variable])
                bind_variables(con, {variable: [staged[rel] for rel in targets],
                                     "root_prefix": root_prefix(stage_dir)})
                try:
                    # a file's rows are a set: a line repeating one already there adds none
                    table = self._tables(model)[0]
                    con.execute(
                        f"INSERT INTO {table} SELECT * FROM ({model.sql}) "
                        f"EXCEPT SELECT * FROM {table} WHERE file IN (SELECT unnest(?::VARCHAR[]))",
                        [targets])
                finally:
                    bind_variables(con, {variable: paths, "root_prefix": prefix})
            yield
            for model in models:
                files = self._tables(model)[1]
                prints = self._fingerprints({rel: lake.path(rel) for rel in targets}, model)
                con.execute(f"DELETE FROM {files} WHERE file IN (SELECT unnest(?::VARCHAR[]))", [targets])
                _keep(con, files, prints)


def _keep(con: duckdb.DuckDBPyConnection, files: str, prints: Mapping[str, str]) -> None:
    """Record the fingerprint of each file (root-relative name -> fingerprint)."""
    con.execute(f"INSERT INTO {files} SELECT unnest(?::VARCHAR[]), unnest(?::VARCHAR[])",
                [list(prints), list(prints.values())])
