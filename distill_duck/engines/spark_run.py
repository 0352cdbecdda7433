"""The record-level models of an export run, or of a dataset build, on Spark.

Spark builds every model the chosen exporters need (inputs, gates, export lines,
summaries), or every dataset relation, from the same ``sql/`` files translated by
:mod:`spark_sql`. The relations the rest of the command reads (the export lines, the
summaries, the receipt's counts and the published input relations; the dataset relations)
are handed to DuckDB as Arrow tables, and from there the command goes on as on the DuckDB
engine: checks, the atomic write, the warehouse, the receipt; the dataset files.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import duckdb

from distill_duck.engines.spark_sql import ENGINE, SparkDialect, blob_view
from distill_duck.errors import DistillError
from distill_duck.runner import Model, Project
from distill_duck.sqlquote import ident

# how a model's Spark result is kept: a view is only a name for its query; every other
# materialization is computed once (the input cache and the memo are DuckDB's)
LAZY = frozenset({"view"})


# a CTE named <x>_round_<n> (AS MATERIALIZED, so a view of its own) is one round of an
# iteration unrolled in SQL, such as the near-duplicate settlement (macros/spark/settle.sql):
# once a round leaves no row `pending`, every later round is the same relation, so it is
# not computed
ROUND = re.compile(r"^(.+_round_)\d+$")

def dialect_of(project: Project) -> SparkDialect:
    macros = project.macro_sql()
    return SparkDialect([m for m in macros if not m[0].startswith(f"{ENGINE}/")],
                        [sql for name, sql in macros if name.startswith(f"{ENGINE}/")])


def run_on_spark(
    spark: Any,
    duck: Project,
    con: duckdb.DuckDBPyConnection,
    select: Iterable[str],
    bound: Mapping[str, Any],
    export: Callable[[duckdb.DuckDBPyConnection, Model], None],
    progress: Callable[[str], None] | None = None,
    only_selected: bool = False,
) -> dict[str, float]:
    """Build ``select`` and what it reads on Spark; copy what DuckDB reads next into ``con``
    (export models through ``export``): the selection and what the project's other models
    read of it, or (``only_selected``, when nothing else runs next) the selection alone.
    Returns seconds per model."""
    project = Project(duck.context, project=duck.project_sql_dir.parent if duck.project_sql_dir else None,
                      engine=ENGINE)
    dialect = dialect_of(project)
    select = list(select)
    models = project.ordered(select)
    built = {m.name for m in models}
    # what DuckDB reads after this: the selection, and what the later models read of it
    handed = set(select) | (set() if only_selected else {
        d for m in duck.ordered() if m.name not in built for d in m.depends_on if d in built})
    _register_files(spark, models, bound)
    timings: dict[str, float] = {}
    for model in models:
        if progress:
            progress(f"{model.stage}/{model.name}")
        started = time.perf_counter()
        parts = dialect.transpile_parts(model.name, model.sql,
                                        {d: spark.table(d).columns for d in model.depends_on})
        bound_here = sorted(model.variables - _blob_variables(model))
        settled: dict[str, str] = {}  # an iteration's name: its first round leaving nothing pending
        try:
            for view, sql in parts:
                iteration = ROUND.match(view)
                if iteration and iteration[1] in settled:
                    spark.table(settled[iteration[1]]).createOrReplaceTempView(view)
                    continue
                args = {v: _arg(bound[v]) for v in bound_here if f":{v}" in sql}
                frame = spark.sql(sql, args=args)
                if view != model.name or model.config.materialized not in LAZY:
                    frame = frame.localCheckpoint()  # computed now, and once
                frame.createOrReplaceTempView(view)
                if iteration and frame.where("pending").isEmpty():
                    settled[iteration[1]] = view
            if model.name in handed:
                _hand_over(con, model.name, frame)
                if model.config.materialized == "export":
                    export(con, duck.models[model.name])
        except Exception as e:  # py4j and Spark's analysis errors have no common base
            if isinstance(e, DistillError):
                raise
            raise DistillError(f"model {model.name!r} failed on Spark: {_first_line(e)}") from e
        timings[model.name] = time.perf_counter() - started
    return timings


_READ_BLOB = re.compile(r"read_blob\(getvariable\('([A-Za-z_][A-Za-z0-9_]*)'\)\)")


def _blob_variables(model: Model) -> set[str]:
    """The file lists a model reads with read_blob (a binaryFile view each on Spark)."""
    return set(_READ_BLOB.findall(model.sql))


def _arg(value: Any) -> Any:
    if isinstance(value, list):
        return [str(v) for v in value]
    return value


# Spark reads a path as a Hadoop glob: a lakehouse's own [, {, * or ? must be literal (the
# files' path column gives them back unescaped)
_GLOB = re.compile(r"([\\*?\[\]{}])")


def _hidden_from_spark(path: str) -> bool:
    """Whether Spark's file listing would drop the file, even named on its own: a name
    starting with _ or . (its metadata convention), or a copy in progress."""
    name = Path(path).name
    return name.startswith(("_", ".")) or name.endswith("._COPYING_")


def _register_files(spark: Any, models: list[Model], bound: Mapping[str, Any]) -> None:
    """A binaryFile view (filename, content) of each file list a model reads with read_blob.
    (A file Spark's listing would skip, such as an evaluation file `_heldout.jsonl`, is read
    by the driver instead: skipping it would silently leave it out.)"""
    from pyspark.sql import types as T

    schema = T.StructType([T.StructField("filename", T.StringType()),
                           T.StructField("content", T.BinaryType())])
    wanted = sorted({v for m in models for v in _blob_variables(m)})
    for variable in wanted:
        paths = [str(p) for p in bound[variable]]
        listed = [_GLOB.sub(r"\\\1", p) for p in paths if not _hidden_from_spark(p)]
        read_here = [(p, Path(p).read_bytes()) for p in paths if _hidden_from_spark(p)]
        frame = spark.createDataFrame(read_here, schema)
        if listed:
            frame = frame.unionByName(spark.read.format("binaryFile").load(listed).selectExpr(
                "regexp_replace(path, '^file:', '') AS filename", "content"))
        frame.createOrReplaceTempView(blob_view(variable))


def _hand_over(con: duckdb.DuckDBPyConnection, name: str, frame: Any) -> None:
    """A Spark relation as a DuckDB table of the same name, rows in the same order."""
    table = frame.toArrow()
    staging = f"spark__{name}"
    con.register(staging, table)
    try:
        # Spark's 32-bit integers (list positions) are DuckDB's BIGINT in the models
        columns = ", ".join(
            f"CAST({ident(f.name)} AS BIGINT) AS {ident(f.name)}" if str(f.type) == "int32" else ident(f.name)
            for f in table.schema)
        con.execute(f"CREATE OR REPLACE TABLE {ident(name)} AS SELECT {columns} FROM {ident(staging)}")
    finally:
        con.unregister(staging)


def _first_line(e: BaseException) -> str:
    text = " ".join(str(e).split())
    return text[:400]
