"""A user's project folder (--project DIR): its sql/ models add to or replace the built-in
ones by name, are listed by `models`, rendered by `compile`, run by `run` and the export
commands, and recorded in the receipt; the firewall checks cannot be replaced."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from distill_duck.runner import SQL_DIR
from tests.conftest import RECORDED_AT, evidence, run_cli, scored, snapshot, write_partition

ADDED = """-- accepted runs per task, from the published scored_runs
SELECT evidence_task_id, count(*) AS accepted
FROM scored_runs
WHERE category = 'accepted'
GROUP BY ALL
"""
# replaces the receipt's category counts: one row, so the test can see it was used
REPLACED = """SELECT 'all records' AS category, count(*) AS records FROM scored_records
"""


def _lake(root: Path) -> None:
    write_partition(root, "scored-runs", "2026/04/27/a.jsonl",
                    [scored("a1", task="t1"), scored("a2", task="t1"), scored("a3", task="t2"),
                     scored("r1", "rejected", task="t1"), "not json"])
    write_partition(root, "evidence", "2026/04/27/a.jsonl",
                    [evidence("a1", text="one"), evidence("a2", text="two"), evidence("a3", text="three"),
                     evidence("r1", text="bad")])


def _project(tmp_path: Path, files: dict[str, str]) -> Path:
    project = tmp_path / "my-project"
    for rel, text in files.items():
        (project / "sql" / rel).parent.mkdir(parents=True, exist_ok=True)
        (project / "sql" / rel).write_text(text)
    return project


def test_project_models_are_listed_compiled_run_and_recorded(tmp_path: Path, lakehouse: Path) -> None:
    _lake(lakehouse)
    project = _project(tmp_path, {"marts/accepted_per_task.sql": ADDED,
                                  "receipts/category_counts.sql": REPLACED})

    listed = {m["name"]: m for m in json.loads(run_cli("models", "--project", str(project), "--json").stdout)}
    assert listed["accepted_per_task"]["depends_on"] == ["scored_runs"]
    assert listed["accepted_per_task"]["replaces_built_in"] is False
    assert listed["category_counts"]["replaces_built_in"] is True
    assert "replaces_built_in" not in listed["rag_decisions"]
    human = run_cli("models", "--project", str(project)).stdout.splitlines()
    assert any("accepted_per_task" in line and line.endswith("(project)") for line in human)
    assert any("category_counts" in line and line.endswith("(project, replaces built-in)") for line in human)
    # without --project: the built-in models only
    assert "accepted_per_task" not in run_cli("models").stdout
    assert "(project" not in run_cli("models").stdout

    assert run_cli("compile", "category_counts", "--project", str(project)).stdout.strip() == REPLACED.strip()
    assert "is_object" in run_cli("compile", "category_counts").stdout

    out = json.loads(run_cli("export-all", "--root", str(lakehouse), "--project", str(project),
                             "--recorded-at", RECORDED_AT, "--json").stdout)
    assert out["rag"]["records_read"] == 5
    receipt_path = next((lakehouse / "reports/distillation").glob("*/receipt.json"))
    receipt = json.loads(receipt_path.read_text())
    # the override is what the run used, and the receipt says which files it came from
    assert receipt["category_counts"] == {"all records": 5}
    assert receipt["project"]["dir"] == str(project.resolve())
    models = receipt["project"]["models"]
    assert set(models) == {"accepted_per_task", "category_counts"}
    assert models["category_counts"]["file"] == "sql/receipts/category_counts.sql"
    assert models["category_counts"]["replaces_built_in"] is True
    assert len(models["accepted_per_task"]["sha256"]) == 64

    run_cli("run", "--root", str(lakehouse), "--project", str(project), "--select", "accepted_per_task")
    con = duckdb.connect(str(lakehouse / "warehouse.duckdb"), read_only=True)
    try:
        got = con.execute("SELECT evidence_task_id, accepted FROM accepted_per_task ORDER BY 1").fetchall()
    finally:
        con.close()
    assert got == [("t1", 2), ("t2", 1)]


def test_a_run_without_project_has_none_in_its_receipt(lakehouse: Path) -> None:
    _lake(lakehouse)
    run_cli("export-rag", "--root", str(lakehouse), "--recorded-at", RECORDED_AT)
    receipt = json.loads(next((lakehouse / "reports/distillation").glob("*/receipt.json")).read_text())
    assert receipt["project"] is None
    assert receipt["category_counts"] == {"accepted": 3, "rejected": 1}


def test_an_override_that_lets_rejected_runs_into_sft_fails_the_firewall_checks(
    tmp_path: Path, lakehouse: Path
) -> None:
    _lake(lakehouse)
    builtin = (SQL_DIR / "exports" / "sft_instruction_response.sql").read_text()
    exported = "outcome = 'exported'"
    assert exported in builtin, "update this test: how sft_instruction_response selects its rows"
    leaky = builtin.replace(exported, f"{exported} OR category = 'rejected'")
    project = _project(tmp_path, {"exports/sft_instruction_response.sql": leaky})
    p = run_cli("export-all", "--root", str(lakehouse), "--project", str(project),
                "--recorded-at", RECORDED_AT, check=False)
    assert p.returncode == 1, p.stderr
    assert "sft_firewall" in p.stderr and "\n" not in p.stderr.strip()


def test_a_project_cannot_replace_the_firewall_checks_or_the_macros(tmp_path: Path, lakehouse: Path) -> None:
    _lake(lakehouse)
    before = snapshot(lakehouse)
    for rel, named in [("receipts/run_checks.sql", "run_checks"),
                       ("anywhere/health_violations.sql", "health_violations"),
                       ("macros/20_json.sql", "macros/20_json.sql")]:
        project = _project(tmp_path / rel.replace("/", "-"), {rel: "SELECT true AS passed\n"})
        for args in (("models",), ("export-all", "--root", str(lakehouse)),
                     ("run", "--root", str(lakehouse))):
            p = run_cli(*args, "--project", str(project), check=False)
            assert p.returncode == 2, (args, p.stderr)
            message = p.stderr.strip()
            assert named in message and "\n" not in message
        assert snapshot(lakehouse) == before
    # a macro file of a new name is the project's own
    project = _project(tmp_path / "own-macro", {
        "macros/90_mine.sql": "CREATE OR REPLACE MACRO twice(x) AS 2 * x;\n",
        "marts/doubled.sql": "SELECT twice(21) AS n\n",
    })
    run_cli("run", "--root", str(lakehouse), "--project", str(project), "--select", "doubled")
    con = duckdb.connect(str(lakehouse / "warehouse.duckdb"), read_only=True)
    try:
        assert con.execute("SELECT n FROM doubled").fetchall() == [(42,)]
    finally:
        con.close()


def test_a_project_without_sql_folder_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    for target in (tmp_path / "empty", tmp_path / "missing"):
        p = run_cli("models", "--project", str(target), check=False)
        assert p.returncode == 2
        assert "no sql/ folder" in p.stderr and "\n" not in p.stderr.strip()
