"""The model runner (distill_duck.runner.Project) on small temporary sql/ folders, and the
CLI verbs that show the real project's models (models, compile) and refuse bad
invocations (SPEC section 11)."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import duckdb
import pytest

from distill_duck.errors import DistillError
from distill_duck.model_config import ModelConfig
from distill_duck.runner import SQL_DIR, Project
from distill_duck.session import RunOptions
from tests.conftest import RECORDED_AT, evidence, run_cli, scored, snapshot, write_partition

# ---------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------


def make_project(tmp_path: Path, files: Mapping[str, str],
                 context: Mapping[str, Any] | None = None) -> Project:
    """A Project over a fresh sql/ folder holding ``files`` (path -> text) and macros/."""
    sql_dir = tmp_path / "sql"
    (sql_dir / "macros").mkdir(parents=True)
    for rel, text in files.items():
        path = sql_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return Project(dict(context or {}), sql_dir=sql_dir)


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    c = duckdb.connect()
    try:
        yield c
    finally:
        c.close()


def tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}


def names(models: list[Any]) -> list[str]:
    return [m.name for m in models]


def assert_usage_error(p: subprocess.CompletedProcess[str]) -> None:
    """SPEC 11: a bad invocation exits 2 with a one-line error (and nothing on stdout)."""
    assert p.returncode == 2, (p.returncode, p.stdout, p.stderr)
    message = p.stderr.strip()
    assert message, "a bad invocation must say what is wrong"
    assert "\n" not in message, f"the error must be one line, got:\n{p.stderr}"
    assert "Traceback" not in p.stderr
    assert p.stdout == ""


# ---------------------------------------------------------------------------------------
# dependency order
# ---------------------------------------------------------------------------------------

# Names and stages chosen so that any ordering by name or folder would be wrong.
CHAIN = {
    "a_first/aaa_report.sql": "SELECT l.v + r.v AS total FROM zzz_left AS l CROSS JOIN zzz_right AS r",
    "z_last/zzz_left.sql": "SELECT v FROM zzz_base WHERE v > 0",
    "z_last/zzz_right.sql": "SELECT count(*) * 10 AS v FROM zzz_base",
    "z_last/zzz_base.sql": "SELECT * FROM (VALUES (1), (2), (-3)) AS t(v)",
    "m/unrelated.sql": "SELECT 42 AS answer",
}


def test_a_model_runs_after_every_model_it_reads(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    project = make_project(tmp_path, CHAIN)
    order = names(project.ordered())
    assert sorted(order) == ["aaa_report", "unrelated", "zzz_base", "zzz_left", "zzz_right"]
    pos = {n: i for i, n in enumerate(order)}
    assert pos["zzz_base"] < pos["zzz_left"] < pos["aaa_report"]
    assert pos["zzz_base"] < pos["zzz_right"] < pos["aaa_report"]
    assert set(project.models["aaa_report"].depends_on) == {"zzz_left", "zzz_right"}
    assert project.models["zzz_base"].depends_on == ()

    timings = project.run(con)
    assert set(timings) == set(order)
    # zzz_left = {1, 2}, zzz_right = {30}
    assert sorted(con.execute("SELECT total FROM aaa_report").fetchall()) == [(31,), (32,)]


def test_references_in_subqueries_joins_and_set_operations_are_dependencies(tmp_path: Path) -> None:
    project = make_project(tmp_path, {
        "b/one.sql": "SELECT 1 AS v",
        "b/two.sql": "SELECT 2 AS v",
        "b/three.sql": "SELECT 3 AS v",
        "b/four.sql": "SELECT 4 AS v",
        "a/reader.sql": """
            SELECT v FROM (SELECT v FROM one) AS s
            WHERE v IN (SELECT v FROM two)
               OR EXISTS (SELECT 1 FROM three AS t LEFT JOIN four AS f USING (v))
            UNION ALL SELECT v FROM two
        """,
    })
    assert set(project.models["reader"].depends_on) == {"one", "two", "three", "four"}
    assert names(project.ordered())[-1] == "reader"


def test_cte_names_are_not_dependencies(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    project = make_project(tmp_path, {
        "a/base.sql": "SELECT 1 AS v",
        # `helper` is no model; `base` inside the second query is a CTE that shadows the model
        "a/uses_cte.sql": "WITH helper AS (SELECT 7 AS v) SELECT v FROM helper",
        "a/shadows.sql": "WITH base AS (SELECT 5 AS v) SELECT v FROM base",
        "a/nested_cte.sql":
            "SELECT * FROM (WITH inner_q AS (SELECT v FROM base) SELECT v + 1 AS v FROM inner_q)",
    })
    assert project.models["uses_cte"].depends_on == ()
    assert project.models["shadows"].depends_on == ()
    assert project.models["nested_cte"].depends_on == ("base",)
    project.run(con)
    assert con.execute("SELECT v FROM uses_cte").fetchall() == [(7,)]
    assert con.execute("SELECT v FROM shadows").fetchall() == [(5,)]
    assert con.execute("SELECT v FROM nested_cte").fetchall() == [(2,)]


def test_a_cte_shadows_a_model_only_inside_its_own_scope(
        tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    project = make_project(tmp_path, {
        "z/base.sql": "SELECT 1 AS v",
        # the first `base` is the model; the CTE of the same name lives only in the subquery
        "a/scoped.sql":
            "SELECT v FROM base UNION ALL SELECT * FROM (WITH base AS (SELECT 9 AS v) SELECT v FROM base)",
    })
    assert project.models["scoped"].depends_on == ("base",)
    project.run(con)
    assert sorted(con.execute("SELECT v FROM scoped").fetchall()) == [(1,), (9,)]


def test_table_functions_are_not_dependencies(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    project = make_project(tmp_path, {
        "a/numbers.sql": "SELECT i FROM range(3) AS r(i)",
        "a/series.sql": "SELECT * FROM generate_series(1, 2) AS g(i)",
        "a/unnested.sql": "SELECT * FROM unnest([10, 20]) AS u(x)",
        "a/mixed.sql": "SELECT n.i FROM numbers AS n JOIN range(2) AS r(i) USING (i)",
    })
    assert project.models["numbers"].depends_on == ()
    assert project.models["series"].depends_on == ()
    assert project.models["unnested"].depends_on == ()
    assert project.models["mixed"].depends_on == ("numbers",)
    project.run(con)
    assert sorted(con.execute("SELECT i FROM mixed").fetchall()) == [(0,), (1,)]


def test_select_runs_the_model_and_its_upstream_only(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    project = make_project(tmp_path, CHAIN)
    timings = project.run(con, ["zzz_left"])
    assert set(timings) == {"zzz_base", "zzz_left"}
    assert tables(con) == {"zzz_base", "zzz_left"}
    assert names(project.ordered(["zzz_left"])) == ["zzz_base", "zzz_left"]
    selected = names(project.ordered(["aaa_report", "unrelated"]))
    assert set(selected) == {"aaa_report", "zzz_left", "zzz_right", "zzz_base", "unrelated"}
    with pytest.raises(DistillError, match="nope"):
        project.ordered(["nope"])


# ---------------------------------------------------------------------------------------
# errors the runner must name
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("files, members", [
    ({"a/ping.sql": "SELECT * FROM pong", "a/pong.sql": "SELECT * FROM ping"}, ["ping", "pong"]),
    ({"x/c1.sql": "SELECT * FROM c3", "y/c2.sql": "SELECT * FROM c1", "z/c3.sql": "SELECT * FROM c2",
      "z/free.sql": "SELECT 1 AS v"}, ["c1", "c2", "c3"]),
    ({"a/selfish.sql": "SELECT * FROM selfish"}, ["selfish"]),
])
def test_a_cycle_is_an_error_naming_its_models(tmp_path: Path, con: duckdb.DuckDBPyConnection,
                                               files: dict[str, str], members: list[str]) -> None:
    project = make_project(tmp_path, files)
    with pytest.raises(DistillError) as info:
        project.run(con)
    message = str(info.value)
    assert "cycle" in message
    for name in members:
        assert re.search(rf"\b{name}\b", message), (name, message)
    assert "free" not in message
    assert tables(con) == set(), "nothing runs when the models cannot be ordered"


def test_an_unknown_table_is_an_error_naming_the_model_and_the_table(
        tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    project = make_project(tmp_path, {
        "a/fine.sql": "SELECT 1 AS v",
        "b/reader.sql": "SELECT * FROM fine JOIN no_such_relation USING (v)",
    })
    with pytest.raises(DistillError) as info:
        project.run(con)
    message = str(info.value)
    assert "reader" in message and "no_such_relation" in message
    assert tables(con) == set()


def test_two_models_with_one_name_are_an_error(tmp_path: Path) -> None:
    project = make_project(tmp_path, {"inputs/twin.sql": "SELECT 1 AS v", "gates/twin.sql": "SELECT 2 AS v"})
    with pytest.raises(DistillError, match="twin"):
        _ = project.models


def test_sql_that_does_not_parse_is_a_distill_error(tmp_path: Path) -> None:
    project = make_project(tmp_path, {"a/broken.sql": "SELEC 1 FROM (("})
    with pytest.raises(DistillError, match="broken"):
        _ = project.models


def test_a_model_that_fails_in_duckdb_is_a_distill_error_naming_it(
        tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    project = make_project(tmp_path, {"a/bad_cast.sql": "SELECT CAST('x' AS INTEGER) AS v"})
    with pytest.raises(DistillError, match="bad_cast"):
        project.run(con)


# ---------------------------------------------------------------------------------------
# rendering
# ---------------------------------------------------------------------------------------

AWKWARD = "it's a \"lake\" é 湖 😀 \\ %_ -- /* */ ; {{ x }}\nsecond line"


def test_lit_renders_values_that_duckdb_reads_back_unchanged(
        tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    project = make_project(tmp_path, {
        "a/literals.sql": """
            SELECT {{ lit(text) }} AS text, {{ lit(items) }} AS items, {{ lit(flag) }} AS flag,
                   {{ lit(count) }} AS count, {{ lit(nothing) }} AS nothing, {{ lit(ratio) }} AS ratio,
                   {{ lit(text) }} AS {{ ident(column) }}
        """,
    }, {"text": AWKWARD, "items": ["a'b", "", "湖"], "flag": True, "count": -7, "nothing": None,
        "ratio": 0.25, "column": 'odd "col" é'})
    project.run(con)
    row = con.execute(
        'SELECT text, items, flag, count, nothing, ratio, "odd ""col"" é" FROM literals').fetchone()
    assert row == (AWKWARD, ["a'b", "", "湖"], True, -7, None, 0.25, AWKWARD)


def test_context_values_are_visible_in_imported_jinja_macros(
        tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    project = make_project(tmp_path, {
        "macros/helpers.sql": "{% macro stamp() %}{{ lit(recorded_at) }}{% endmacro %}",
        "a/stamped.sql": "{% from 'macros/helpers.sql' import stamp %}SELECT {{ stamp() }} AS stamp_value",
    }, {"recorded_at": RECORDED_AT})
    assert "helpers" not in project.models, "files under macros/ are not models"
    project.run(con)
    assert con.execute("SELECT stamp_value FROM stamped").fetchall() == [(RECORDED_AT,)]


def test_duckdb_macros_are_installed_before_the_models_run(
        tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    project = make_project(tmp_path, {
        "macros/20_twice.sql": "CREATE OR REPLACE MACRO twice(x) AS times({{ lit(factor) }}, x);",
        "macros/10_times.sql": "CREATE OR REPLACE MACRO times(a, b) AS a * b;",
        "a/doubled.sql": "SELECT twice(21) AS v;",
    }, {"factor": 2})
    assert set(project.models) == {"doubled"}
    project.run(con)
    assert con.execute("SELECT v FROM doubled").fetchall() == [(42,)]


def test_config_is_captured_and_renders_to_nothing(tmp_path: Path) -> None:
    project = make_project(tmp_path, {
        "exports/out.sql": "{{ config(materialized='export', export='exports/rag/playbooks.jsonl') }}\n"
                           "SELECT 'x' AS jsonl",
        "exports/plain.sql": "SELECT 'y' AS jsonl",
    })
    out = project.models["out"]
    assert out.config == ModelConfig(materialized="export", export="exports/rag/playbooks.jsonl")
    assert "config" not in out.sql and "{{" not in out.sql
    assert project.models["plain"].config == ModelConfig()
    assert project.models["plain"].config.materialized == "table"
    assert out.stage == "exports"


@pytest.mark.parametrize(("call", "message"), [
    ("materialized='tabel'", "config(materialized='tabel') is not one of table, view, incremental"),
    ("materialised='view'", "config(materialised=...) is not a model setting; use one of materialized,"),
    ("publish='yes'", "config(publish='yes') must be true or false"),
    ("columns={'a': 1}", "config(columns={'a': 1}) must be a mapping of column names to text"),
    ("materialized='incremental'", "config(materialized='incremental') and config(files=...) go together"),
    ("files='evidence_paths'", "config(materialized='incremental') and config(files=...) go together"),
    ("export='exports/x.jsonl'", "config(materialized='export') and config(export=...) go together"),
    ("materialized='export'", "config(materialized='export') and config(export=...) go together"),
    ("materialized='memo'", "config(materialized='memo') and config(key=...) go together"),
    ("key='text_digest'", "config(materialized='memo') and config(key=...) go together"),
    ("materialized='view', memo='fingerprint_memo'", "config(memo=...) is for tables"),
    ("command='exports'", "config(command='exports') is not one of health, dataset"),
    ("appended=true", "config(appended=true) is for incremental models over the output files"),
    ("appended='yes'", "config(appended='yes') must be true or false"),
])
def test_a_config_the_runner_does_not_know_is_an_error_naming_the_model(
        tmp_path: Path, call: str, message: str) -> None:
    project = make_project(tmp_path, {"a/typo.sql": f"{{{{ config({call}) }}}}\nSELECT 1 AS v"})
    with pytest.raises(DistillError) as caught:
        _ = project.models
    assert str(caught.value).startswith(f"model 'typo': {message}"), caught.value
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("files", [
    # the named model is no memo
    {"a/plain.sql": "SELECT 1 AS k", "a/user.sql": "{{ config(memo='plain') }}\nSELECT * FROM plain"},
    # a memo the model does not read (it would not be built first)
    {"a/kept.sql": "{{ config(materialized='memo', key='k') }}\nSELECT 1 AS k WHERE false",
     "a/user.sql": "{{ config(memo='kept') }}\nSELECT 1 AS k"},
])
def test_a_table_adds_to_a_memo_model_it_reads(tmp_path: Path, files: dict[str, str]) -> None:
    project = make_project(tmp_path, files)
    with pytest.raises(DistillError) as caught:
        _ = project.models
    assert str(caught.value).startswith("model 'user': config(memo=")
    assert "must name a memo model (materialized='memo') that its SQL reads" in str(caught.value)


def test_a_models_duckdb_settings_hold_for_its_statement_only(tmp_path: Path,
                                                           con: duckdb.DuckDBPyConnection) -> None:
    project = make_project(tmp_path, {
        "a/tuned.sql": "{{ config(settings={'disabled_optimizers': 'build_side_probe_side'}) }}\n"
                       "SELECT current_setting('disabled_optimizers') AS v",
        "a/plain.sql": "SELECT current_setting('disabled_optimizers') AS v, (SELECT v FROM tuned) AS tuned",
    })
    project.run(con)
    assert con.execute("SELECT v, tuned FROM plain").fetchone() == ("", "build_side_probe_side")
    assert con.execute("SELECT current_setting('disabled_optimizers')").fetchone() == ("",)


def test_every_built_in_config_is_valid_and_says_how_it_is_built() -> None:
    models = Project(RunOptions().context()).models.values()
    kinds = {m.name: m.config.materialized for m in models}
    assert {n for n, k in kinds.items() if k == "incremental"} == {
        "evidence_records", "scored_records", "existing_ids", "existing_fingerprints"}
    # the output files' ids and fingerprints grow with what each run appends
    assert {m.name for m in models if m.config.appended} == {"existing_ids", "existing_fingerprints"}
    assert kinds["evidence"] == "view" and kinds["rag_decisions"] == "table"
    assert {m.config.export for m in models if m.config.export} == {
        "exports/rag/playbooks.jsonl", "exports/sft/instruction_response.jsonl",
        "exports/preference/chosen_rejected.jsonl", "exports/quarantine/rag.jsonl",
        "exports/quarantine/sft.jsonl", "exports/quarantine/preference.jsonl"}


@pytest.mark.parametrize("expression", ["{{ not_an_option }}", "{{ lit(not_an_option) }}",
                                        "{{ ident(not_an_option) }}"])
def test_an_undefined_variable_is_a_distill_error_naming_the_model(tmp_path: Path, expression: str) -> None:
    """A misspelt run option must fail loudly (StrictUndefined), as a DistillError that the
    CLI turns into a one-line message, however the model uses the value."""
    project = make_project(tmp_path, {"a/needs_option.sql": f"SELECT {expression} AS v"},
                           {"recorded_at": RECORDED_AT})
    with pytest.raises(DistillError) as info:
        _ = project.models
    assert "needs_option" in str(info.value)
    assert "not_an_option" in str(info.value)


# ---------------------------------------------------------------------------------------
# CLI on the real project
# ---------------------------------------------------------------------------------------

SPEC_OUTPUTS = {
    "exports/rag/playbooks.jsonl", "exports/sft/instruction_response.jsonl",
    "exports/preference/chosen_rejected.jsonl", "exports/quarantine/rag.jsonl",
    "exports/quarantine/sft.jsonl", "exports/quarantine/preference.jsonl",
}


def test_models_lists_every_model_once_after_its_dependencies() -> None:
    listed = json.loads(run_cli("models", "--json").stdout)
    order = [m["name"] for m in listed]
    assert len(order) == len(set(order)), "each model once"
    on_disk = {p.stem for p in SQL_DIR.rglob("*.sql") if p.relative_to(SQL_DIR).parts[0] != "macros"}
    assert set(order) == on_disk
    # SPEC 10: the warehouse's public relations are models
    assert {"evidence", "scored_runs", "rag_samples", "sft_samples", "preference_pairs", "quarantine",
            "input_errors", "runs"} <= set(order)
    seen: set[str] = set()
    for m in listed:
        for dep in m["depends_on"]:
            assert dep in seen, f"{m['name']} is listed before its dependency {dep}"
        seen.add(m["name"])
    # every SPEC output file is written by exactly one export model
    exports = [m["export"] for m in listed if "export" in m]
    assert sorted(exports) == sorted(SPEC_OUTPUTS)

    human = run_cli("models").stdout
    for name in order:
        assert re.search(rf"\b{name}\b", human), name


def test_compile_prints_the_rendered_sql() -> None:
    sql = run_cli("compile", "rag_decisions").stdout
    assert "{{" not in sql and "{%" not in sql
    # the default options, rendered as literals: RAG allows accepted and partially_accepted only
    assert "'accepted'" in sql and "'partially_accepted'" in sql
    assert "needs_human_review" not in sql
    # recorded_at is bound per run, not rendered: the SQL is the same text on every run
    assert "getvariable('recorded_at')" in sql
    assert not re.search(r"'\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z'", sql)
    assert "scored_with_evidence" in sql
    sft = run_cli("compile", "sft_decisions").stdout
    assert "'rejected'" in sft and "'needs_human_review'" in sft  # SFT_NEVER, always rendered


def test_compile_an_unknown_model_is_a_usage_error() -> None:
    assert_usage_error(run_cli("compile", "nope", check=False))


def test_compile_refuses_root(lakehouse: Path) -> None:
    """A model's SQL does not depend on the root, so `compile --root` would be silently
    ignored; it is refused instead."""
    p = run_cli("compile", "rag_decisions", "--root", str(lakehouse), check=False)
    assert_usage_error(p)
    assert "--root" in p.stderr and p.stdout == ""


def test_bad_invocations_exit_2_with_one_line_and_write_nothing(lakehouse: Path) -> None:
    write_partition(lakehouse, "scored-runs", "2026/04/27/a.jsonl", [scored("r1")])
    write_partition(lakehouse, "evidence", "2026/04/27/a.jsonl", [evidence("r1")])
    before = snapshot(lakehouse), sorted(lakehouse.rglob("*"))
    root = str(lakehouse)
    invocations = [
        ("bogus", "--root", root),
        (),
        ("export-rag", "--root", root, "--bogus"),
        ("export-all", "--root", root, "--json", "extra-argument"),
        ("export-preference", "--root", root, "--max-pairs-per-task", "0"),
        ("export-preference", "--root", root, "--max-pairs-per-task", "-1"),
        ("export-preference", "--root", root, "--max-pairs-per-task", "two"),
        ("export-all", "--root", root, "--max-pairs-per-task", "1.5"),
        ("export-all", "--root", root, "--recorded-at", "yesterday"),
        ("export-rag", "--root", root, "--recorded-at", ""),
        ("export-rag", "--root", root, "--recorded-at", "2026-04-27"),
        ("run", "--root", root, "--max-pairs-per-task", "0"),
        ("run", "--root", root, "--recorded-at", "yesterday"),
    ]
    for args in invocations:
        p = run_cli(*args, check=False)
        assert_usage_error(p)
        assert (snapshot(lakehouse), sorted(lakehouse.rglob("*"))) == before, f"{args} wrote into the root"


@pytest.mark.parametrize("timestamp", ["2026-13-01T00:00:00Z", "2026-04-27T25:00:00Z",
                                       "2026-02-30T10:00:00.000Z", "2026-04-27T10:61:00+02:00"])
def test_an_impossible_recorded_at_is_malformed(lakehouse: Path, timestamp: str) -> None:
    """SPEC 3/11: recorded_at is an ISO-8601 timestamp; month 13, hour 25, February 30 and
    minute 61 are not timestamps, so the invocation is bad: exit 2, nothing written."""
    write_partition(lakehouse, "scored-runs", "2026/04/27/a.jsonl", [scored("r1")])
    write_partition(lakehouse, "evidence", "2026/04/27/a.jsonl", [evidence("r1")])
    before = snapshot(lakehouse), sorted(lakehouse.rglob("*"))
    p = run_cli("export-all", "--root", str(lakehouse), "--recorded-at", timestamp, check=False)
    assert_usage_error(p)
    assert (snapshot(lakehouse), sorted(lakehouse.rglob("*"))) == before
