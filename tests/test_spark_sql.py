"""The Spark dialect layer (distill_duck/engines/spark_sql.py), without Spark: what each
rewrite makes of DuckDB SQL, the allow-list lint, and snapshots of every model the Spark
engine runs, so that a sqlglot upgrade cannot change the SQL Spark runs unnoticed.

Refresh the snapshots after a deliberate change with
    DISTILL_DUCK_UPDATE_SNAPSHOTS=1 python -m pytest tests/test_spark_sql.py
and read the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from distill_duck.bindings import set_inputs
from distill_duck.engines.spark_run import dialect_of
from distill_duck.engines.spark_sql import ALLOWED, SparkDialect, calls
from distill_duck.errors import DistillError
from distill_duck.lakehouse import Lakehouse
from distill_duck.pipeline import phase_one
from distill_duck.runner import Project
from distill_duck.safety import SafetyGates
from distill_duck.session import RunOptions, connect

SNAPSHOTS = Path(__file__).parent / "snapshots" / "spark"
UPDATE = os.environ.get("DISTILL_DUCK_UPDATE_SNAPSHOTS") == "1"
OPTIONS = RunOptions(recorded_at="2026-04-27T03:57:40.123Z", safety=SafetyGates(enabled=False))


def _spark(sql: str, macros: str = "", spark_macros: str = "") -> str:
    return SparkDialect([("m.sql", macros)], [spark_macros]).transpile("t", sql)


@pytest.mark.parametrize(("duckdb_sql", "spark_sql"), [
    # sqlglot reads len() as a string's LENGTH; our models only take a list's
    ("SELECT len(l) FROM t", "SELECT ARRAY_SIZE(l) FROM t"),
    # Spark's chr(n) is chr(n % 256)
    ("SELECT chr(65279) || chr(10) FROM t", "SELECT '\ufeff' || '\\n' FROM t"),
    # DuckDB's 1-based inclusive slices
    ("SELECT w[2:] FROM t", "SELECT SLICE(w, 2, ARRAY_SIZE(w) - 2 + 1) FROM t"),
    ("SELECT w[:-1] FROM t", "SELECT SLICE(w, 1, ARRAY_SIZE(w) - 1 - 1 + 1) FROM t"),
    # a run value: Spark's named parameter
    ("SELECT getvariable('recorded_at') FROM t", "SELECT :recorded_at FROM t"),
    ("WITH a AS MATERIALIZED (SELECT 1 AS x) SELECT x FROM a", "WITH a AS (SELECT 1 AS x) SELECT x FROM a"),
    ("SELECT hash(a, b) FROM t", "SELECT XXHASH64(a, b) FROM t"),
    ("SELECT json_group_object(k, n) FROM t",
     "SELECT TO_JSON(MAP_FROM_ENTRIES(COLLECT_LIST(STRUCT(k, n)))) FROM t"),
    ("SELECT NULL::HUGEINT AS k FROM t", "SELECT CAST(NULL AS STRING) AS k FROM t"),
    # DuckDB's lambda index is 1-based, Spark's 0-based (an inner lambda binding the same
    # name keeps its own, shifted once)
    ("SELECT list_transform(l, lambda x, i: {'i': i, 'x': x}) FROM t",
     "SELECT TRANSFORM(l, (x, i__from0) -> STRUCT((i__from0 + 1) AS i, x AS x)) FROM t"),
    ("SELECT list_filter(l, lambda x, i: i > len(list_filter(x, lambda y, i: i = 1))) FROM t",
     "SELECT FILTER(l, (x, i__from0) -> (i__from0 + 1) > "
     "ARRAY_SIZE(FILTER(x, (y, i__from0) -> (i__from0 + 1) = 1))) FROM t"),
    ("SELECT filename FROM read_blob(getvariable('scored_paths'))",
     "SELECT filename FROM blob__scored_paths"),
])
def test_each_rewrite(duckdb_sql: str, spark_sql: str) -> None:
    assert _spark(duckdb_sql) == spark_sql


def test_a_macro_call_becomes_its_body_with_the_arguments_in_place() -> None:
    macros = ("CREATE OR REPLACE TEMP MACRO twice(x) AS x * 2;\n"
              "CREATE OR REPLACE TEMP MACRO inc(x) AS twice(x) + 1;")
    assert _spark("SELECT inc(a + b) FROM t", macros) == "SELECT (((a + b) * 2) + 1) FROM t"
    # a Spark body replaces the DuckDB one of the same name
    assert _spark("SELECT twice(a) FROM t", macros, "CREATE OR REPLACE TEMP MACRO twice(x) AS x + x;") \
        == "SELECT (a + a) FROM t"


def test_a_spark_body_keeps_its_own_lambda_index() -> None:
    # a Spark macro body is Spark SQL: its transform's index is 0-based already, while a
    # DuckDB body's is shifted
    spark_body = "CREATE OR REPLACE TEMP MACRO at0(l) AS transform(l, (x, i) -> i);"
    duckdb_body = "CREATE OR REPLACE TEMP MACRO at1(l) AS list_transform(l, lambda x, i: i);"
    assert _spark("SELECT at0(l), at1(l) FROM t", duckdb_body, spark_body) \
        == "SELECT (TRANSFORM(l, (x, i__from0) -> i__from0)), " \
           "(TRANSFORM(l, (x, i__from0) -> (i__from0 + 1))) FROM t"


def test_sql_spark_would_read_differently_is_refused() -> None:
    with pytest.raises(DistillError, match="regexp_replace without 'g'"):
        _spark("SELECT regexp_replace(s, 'a', 'b') FROM t")  # first match only in DuckDB
    assert "REGEXP_REPLACE" in _spark("SELECT regexp_replace(s, '^a', 'b') FROM t")  # one match anyway
    with pytest.raises(DistillError, match="chr"):
        _spark("SELECT chr(n) FROM t")


def test_a_function_off_the_allow_list_is_named() -> None:
    with pytest.raises(DistillError, match=r"model 't' calls list_frobnicate on Spark"):
        _spark("SELECT list_frobnicate(l) FROM t")
    assert calls("SELECT f(x), 'g(y)' FROM t WHERE x IN (1)") == ["f"]


def _spark_models(tmp: Path, gates: bool = True) -> list[tuple[str, str]]:
    """Every model an export-all or a dataset build runs on Spark, translated. The columns
    a `* REPLACE` expands to come from Spark's catalog at run time; here from the same
    models built by DuckDB on an empty lakehouse."""
    # every gate of SPEC 12: the default ones, and the file-path and contamination gates
    # with (empty) data of their own
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "manifest.txt").write_text("")
    (tmp / "evals.jsonl").write_text("")
    safety = SafetyGates(enabled=gates, repo_manifest=str(tmp / "manifest.txt"),
                         decontaminate=(str(tmp / "evals.jsonl"),))
    options = RunOptions(recorded_at=OPTIONS.recorded_at, safety=safety)
    duck = Project(options.context())
    select = phase_one(duck, list(duck.exporters)) \
        + [m.name for m in duck.models.values() if m.config.command == "dataset"]
    con = connect()
    duck.install_macros(con)
    set_inputs(con, Lakehouse(tmp), duck.exporters, [], options.safety, tmp, options.recorded_at)
    duck.run(con, select)
    project = Project(options.context(), engine="spark")
    dialect = dialect_of(project)
    columns = {m.name: con.table(m.name).columns for m in duck.ordered(select)}
    # what runs: each hoisted CTE's query, then the model's own
    return [(m.name, "\n".join(f"-- {view}\n{sql}"
                                for view, sql in dialect.transpile_parts(m.name, m.sql, columns)))
            for m in project.ordered(select)]


def test_every_model_the_spark_engine_runs_translates_within_the_allow_list(tmp_path: Path) -> None:
    models = _spark_models(tmp_path)
    assert {"scored_records", "evidence_records", "rag_decisions", "sft_decisions", "preference_decisions",
            "rag_playbooks", "sft_instruction_response",
            "preference_chosen_rejected"} <= {n for n, _ in models}
    assert {"text_secrets", "text_fingerprints", "existing_fingerprints", "evidence_missing_paths",
            "text_contamination", "sft_samples", "dataset_sft", "dataset_preference"} \
        <= {n for n, _ in models}
    for name, sql in models:
        assert set(calls(sql)) <= ALLOWED, name
    assert {n for n, _ in _spark_models(tmp_path / "off", gates=False)} < {n for n, _ in models}


def test_the_translated_sql_is_the_snapshot(tmp_path: Path) -> None:
    SNAPSHOTS.mkdir(parents=True, exist_ok=True)
    changed = []
    for name, sql in _spark_models(tmp_path):
        path = SNAPSHOTS / f"{name}.sql"
        if UPDATE:
            path.write_text(sql + "\n")
        elif not path.is_file() or path.read_text() != sql + "\n":
            changed.append(name)
    assert not changed, (f"the Spark SQL of {', '.join(changed)} changed (a sqlglot upgrade, or a model): "
                         "read the difference and refresh with DISTILL_DUCK_UPDATE_SNAPSHOTS=1")


def test_each_materialized_cte_runs_on_its_own_with_only_what_it_reads() -> None:
    dialect = SparkDialect([], [])
    parts = dict(dialect.transpile_parts("t", """
        WITH a AS MATERIALIZED (SELECT 1 AS x), unused AS (SELECT 2 AS y), b AS (SELECT x FROM a)
        SELECT * FROM (
            WITH c AS MATERIALIZED (WITH d AS MATERIALIZED (SELECT x FROM b) SELECT * FROM d, d AS e)
            SELECT * FROM c)"""))
    # in scope order: a CTE before what reads it, a nested one before the one around it
    assert list(parts) == ["t__a", "t__d", "t__c", "t"]
    # each reads the views of those before it, and carries only the CTEs it reads
    assert "t__a" in parts["t__d"] and "SELECT 1" not in parts["t__d"] and "b AS" in parts["t__d"]
    assert "t__d" in parts["t__c"] and "b AS" not in parts["t__c"]
    assert all("unused" not in sql for sql in parts.values())
    # a CTE of the same name in an inner scope keeps the outer one it reads
    shadow = dict(dialect.transpile_parts("s", """
        WITH x AS (SELECT 1 AS v)
        SELECT * FROM (WITH x AS MATERIALIZED (SELECT v + 1 AS v FROM x) SELECT v FROM x)"""))
    assert "SELECT 1 AS v" in shadow["s__x"]
