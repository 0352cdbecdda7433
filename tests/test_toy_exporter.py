"""An exporter is SQL files and one declaration: a project folder adds a toy exporter with
four models and a [toy] table in its sql/exporters.toml, and everything a built-in exporter
gets follows from that (the command, its summary, the receipt's checks, latest.md, the
warehouse's runs and quarantine relations, idempotent re-runs)."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from distill_duck.cli import main
from tests.conftest import RECORDED_AT, evidence, output_rows, scored, snapshot, write_partition

REL = "2026/04/27/scrum_reviews.jsonl"
DECLARATION = """
[toy]
help = "export the toy set"
dataset = "exports/toy/rows.jsonl"
quarantine = "exports/quarantine/toy.jsonl"
summary = "toy_summary"
id_prefix = "toy-"
row_keys = ["schema_version", "id", "source_run_id", "category", "created_at"]
"""
MODELS = {
    # accepted runs become rows; everything else is quarantined as category_disallowed
    "toy/toy_decisions.sql": """
SELECT file, line, category, evidence_run_id,
    short_id('toy-', evidence_run_id) AS id,
    CASE WHEN category IS DISTINCT FROM 'accepted' THEN 'quarantined'
         WHEN short_id('toy-', evidence_run_id) IN (SELECT id FROM existing_ids
                                                    WHERE file = {{ lit(exporters.toy.dataset) }})
         THEN 'skipped_existing'
         ELSE 'exported' END AS outcome,
    CASE WHEN category IS DISTINCT FROM 'accepted' THEN 'category_disallowed' END AS reason,
    CASE WHEN category IS DISTINCT FROM 'accepted'
         THEN ['category ' || coalesce(category, 'missing') || ' is not accepted'] END AS errors,
    NULL::VARCHAR AS quarantine_source, provenance AS source_provenance, false AS redacted
FROM scored_records
""",
    "toy/toy_rows.sql": """
{{ config(materialized='export', export=exporters.toy.dataset) }}
SELECT '{"schema_version":1,"id":' || json_str(id) || ',"source_run_id":' || json_str(evidence_run_id)
    || ',"category":' || json_str(category) || ',"created_at":' || json_str({{ lit(recorded_at) }}) || '}'
    AS jsonl
FROM toy_decisions WHERE outcome = 'exported' ORDER BY file, line
""",
    "toy/toy_quarantine.sql": """
{% from 'macros/quarantine.sql' import quarantine_lines %}
{{ config(materialized='export', export=exporters.toy.quarantine) }}
{{ quarantine_lines('toy', 'toy_decisions', 'q.file, q.line') }}
""",
    "toy/toy_summary.sql": """
{% from 'macros/summary.sql' import summary %}
{{ summary('toy', 'toy_decisions') }}
""",
}


@pytest.fixture
def toy(tmp_path: Path) -> Path:
    project = tmp_path / "toy-project"
    (project / "sql").mkdir(parents=True)
    (project / "sql/exporters.toml").write_text(DECLARATION)
    for rel, sql in MODELS.items():
        (project / "sql" / rel).parent.mkdir(parents=True, exist_ok=True)
        (project / "sql" / rel).write_text(sql.lstrip())
    return project


def lake(root: Path) -> None:
    write_partition(root, "scored-runs", REL, [
        scored("a1"), scored("a2"), scored("r1", "rejected"), scored("h1", "needs_human_review"),
    ])
    write_partition(root, "evidence", REL, [evidence(r) for r in ("a1", "a2", "r1", "h1")])


def export(root: Path, project: Path, command: str = "export-toy", *flags: str) -> int:
    return main([command, "--root", str(root), "--project", str(project), "--recorded-at", RECORDED_AT,
                 *flags])


def test_a_toy_exporter_runs_end_to_end_from_sql_files_and_one_declaration(
        lakehouse: Path, toy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lake(lakehouse)
    assert export(lakehouse, toy, "export-toy", "--json") == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["exporter"] == "toy" and summary["output_path"] == "exports/toy/rows.jsonl"
    assert (summary["records_read"], summary["records_exported"], summary["records_quarantined"]) == (4, 2, 2)
    assert summary["quarantine_by_reason"] == {"category_disallowed": 2}

    rows = output_rows(lakehouse, "exports/toy/rows.jsonl")
    assert [r["source_run_id"] for r in rows] == ["a1", "a2"]
    assert all(r["id"].startswith("toy-") and len(r["id"]) == 20 for r in rows)
    quarantined = output_rows(lakehouse, "exports/quarantine/toy.jsonl")
    assert [(q["exporter"], q["reason"], q["input"]["line"]) for q in quarantined] == [
        ("toy", "category_disallowed", 2), ("toy", "category_disallowed", 3)]
    # the built-in exporters did not run
    assert not (lakehouse / "exports/rag").exists()

    # the receipt checks the toy's files like any other: unique ids, accounting, growth
    [receipt_path] = (lakehouse / "reports/distillation").glob("*/receipt.json")
    receipt = json.loads(receipt_path.read_text())
    checks = {a["name"]: a for a in receipt["validation"]["assertions"]}
    assert receipt["validation"]["passed"]
    assert checks["ids_unique:exports/toy/rows.jsonl"]["detail"] == "2 ids, 2 distinct"
    assert checks["accounting:toy"]["detail"] == "4 exported+quarantined+skipped_existing, 4 read"
    assert checks["appended:exports/toy/rows.jsonl"]["detail"] == "2 lines added, 2 rows written"
    assert checks["appended:exports/quarantine/toy.jsonl"]["passed"]
    assert set(receipt["timings_ms"]["exporters"]) == {"toy"}
    assert "## toy" in (lakehouse / "reports/distillation/latest.md").read_text()

    # the warehouse: the run in `runs`, the refusals in `quarantine` under the toy's file
    with duckdb.connect(str(lakehouse / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("SELECT exporter, records_exported FROM runs").fetchall() == [("toy", 2)]
        assert con.execute("SELECT output_file, exporter, count(*) FROM quarantine GROUP BY ALL").fetchall() \
            == [("exports/quarantine/toy.jsonl", "toy", 2)]

    # idempotent: a re-run appends nothing and skips what is there
    before = snapshot(lakehouse)
    assert export(lakehouse, toy, "export-toy", "--json") == 0
    again = json.loads(capsys.readouterr().out)
    assert (again["records_exported"], again["skipped_existing"], again["records_quarantined"]) == (0, 2, 2)
    for rel in ("exports/toy/rows.jsonl", "exports/quarantine/toy.jsonl"):
        assert snapshot(lakehouse)[rel] == before[rel]


def test_the_toy_exporter_is_a_command_with_help_and_joins_export_all(
        lakehouse: Path, toy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["export-toy", "--project", str(toy), "--help"])
    text = capsys.readouterr().out
    assert "Export the toy set to exports/toy/rows.jsonl." in text
    # the toy names no run options, so its command offers none of the built-in exporters'
    assert "--include-review" not in text and "--max-pairs-per-task" not in text

    lake(lakehouse)
    assert export(lakehouse, toy, "export-all", "--no-safety-gates") == 0
    out = capsys.readouterr().out
    assert [line.split(":")[0] for line in out.splitlines() if ": read " in line] == [
        "rag", "sft", "preference", "toy"]
    assert "-> exports/toy/rows.jsonl (2 appended)" in out
    assert len(output_rows(lakehouse, "exports/rag/playbooks.jsonl")) == 2

    # without the project there is no such command: a usage error naming it
    assert main(["export-toy", "--root", str(lakehouse)]) == 2
    assert "invalid choice: 'export-toy'" in capsys.readouterr().err


@pytest.mark.parametrize(("declaration", "message"), [
    ("[toy]\nhelp = 'x'\n", "exporter 'toy': missing dataset, quarantine, summary, id_prefix, row_keys"),
    (DECLARATION + "colour = 'blue'\n", "'colour' is not an exporter setting; use one of"),
    (DECLARATION.replace("[toy]", "[rag]"), "declares exporter 'rag' again; give yours another name"),
    (DECLARATION.replace("exports/quarantine/toy.jsonl", "exports/quarantine/rag.jsonl"),
     "two exporters write exports/quarantine/rag.jsonl"),
    (DECLARATION + "options = ['include_everything']\n", "option 'include_everything' is not a run option"),
    (DECLARATION + "never = ['rejected']\n", "score_key and never go together"),
    ("[toy\n", "is not TOML"),
])
def test_a_wrong_declaration_is_a_one_line_error(lakehouse: Path, toy: Path,
                                                 capsys: pytest.CaptureFixture[str],
                                                 declaration: str, message: str) -> None:
    (toy / "sql/exporters.toml").write_text(declaration)
    lake(lakehouse)
    assert export(lakehouse, toy, "export-all") == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1, err
    assert not (lakehouse / "exports").exists()
