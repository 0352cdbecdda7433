"""The warehouse for people with BI tools: the open quarantine, typed timestamps (with the
exact text beside them), and text forms of the list columns duckdb_engine cannot type."""

from __future__ import annotations

import json
import warnings
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from distill_duck.cli import main
from tests.conftest import RECORDED_AT, evidence, output_rows, scored, write_partition

SCORED = "2026/04/27/scrum_reviews.jsonl"


def _export(root: Path, recorded_at: str = RECORDED_AT) -> None:
    assert main(["export-all", "--root", str(root), "--recorded-at", recorded_at, "--json"]) == 0


def _rows(root: Path, sql: str) -> list[tuple[object, ...]]:
    con = duckdb.connect(str(root / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_the_open_quarantine_drops_rows_whose_line_was_fixed(
        lakehouse: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good, fixed = scored("a1"), scored("a2")
    write_partition(lakehouse, "scored-runs", SCORED, [good, '{"evidence_run_id": "a2", oops'])
    write_partition(lakehouse, "evidence", SCORED, [evidence("a1", text="# One\nfirst finding"),
                                                   evidence("a2", text="# Two\nanother finding")])
    _export(lakehouse)
    sql = ("SELECT exporter, reason, input_line, still_open, exported_as FROM quarantine"
           " WHERE reason = 'schema_violation' ORDER BY exporter")
    assert _rows(lakehouse, sql) == [("rag", "schema_violation", 1, True, None),
                                     ("sft", "schema_violation", 1, True, None)]
    # the user repairs the line: the record is exported, its old rows stay in the file
    write_partition(lakehouse, "scored-runs", SCORED, [good, fixed])
    _export(lakehouse)
    rag_id = next(r["id"] for r in output_rows(lakehouse, "exports/rag/playbooks.jsonl")
                  if r["source_run_id"] == "a2")
    sft_id = next(r["id"] for r in output_rows(lakehouse, "exports/sft/instruction_response.jsonl")
                  if r["source_run_id"] == "a2")
    assert _rows(lakehouse, sql) == [("rag", "schema_violation", 1, False, rag_id),
                                     ("sft", "schema_violation", 1, False, sft_id)]
    still_open = "SELECT count(*) FROM quarantine WHERE still_open AND reason = 'schema_violation'"
    assert _rows(lakehouse, still_open) == [(0,)]


def test_timestamps_are_typed_and_the_exact_text_is_kept(lakehouse: Path) -> None:
    write_partition(lakehouse, "scored-runs", SCORED, [scored("a1"), scored("r1", "rejected")])
    write_partition(lakehouse, "evidence", SCORED, [evidence("a1"), evidence("r1")])
    exact = "2026-04-27T03:57:40.123456789Z"  # more digits than a TIMESTAMP holds
    _export(lakehouse, exact)
    types = dict(_rows(lakehouse, "SELECT table_name || '.' || column_name, data_type FROM duckdb_columns()"))
    for column in ("rag_samples.created_at", "sft_samples.created_at", "preference_pairs.created_at",
                   "quarantine.recorded_at", "runs.started_at", "runs.finished_at", "runs.recorded_at"):
        assert types[column] == "TIMESTAMP WITH TIME ZONE", column
        assert types.get(column + "_text", "VARCHAR") == "VARCHAR"
    (created, text), = _rows(lakehouse, "SELECT epoch_us(created_at), created_at_text FROM rag_samples")
    instant = datetime(2026, 4, 27, 3, 57, 40, 123456, tzinfo=UTC)
    assert text == exact and created == int(instant.timestamp()) * 10**6 + instant.microsecond
    assert _rows(lakehouse, "SELECT DISTINCT recorded_at_text FROM quarantine") == [(exact,)]


def test_duckdb_engine_types_every_column(lakehouse: Path) -> None:
    sa = pytest.importorskip("sqlalchemy")
    pytest.importorskip("duckdb_engine")
    write_partition(lakehouse, "scored-runs", SCORED, [scored("a1"), scored("r1", "rejected"), "oops"])
    write_partition(lakehouse, "evidence", SCORED, [evidence("a1"), evidence("r1")])
    _export(lakehouse)
    engine = sa.create_engine(f"duckdb:///{lakehouse / 'warehouse.duckdb'}?access_mode=read_only")
    try:
        inspector = sa.inspect(engine)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            quarantine = {c["name"]: c["type"] for c in inspector.get_columns("quarantine")}
            rag = {c["name"]: c["type"] for c in inspector.get_columns("rag_samples")}
        # the text forms and the timestamps are typed; only the LIST columns are not
        untyped = {str(w.message) for w in caught}
        assert all("'errors'" in m or "'tags'" in m for m in untyped), untyped
        assert isinstance(quarantine["errors_json"], sa.String) and isinstance(rag["tags_json"], sa.String)
        assert isinstance(quarantine["recorded_at"], sa.DateTime)
        with engine.connect() as conn:
            errors = conn.execute(sa.text("SELECT errors_json FROM quarantine LIMIT 1")).scalar()
            tags = conn.execute(sa.text("SELECT tags_json FROM rag_samples LIMIT 1")).scalar()
        assert json.loads(errors) and all(isinstance(e, str) for e in json.loads(errors))
        assert "category:accepted" in json.loads(tags)
    finally:
        engine.dispose()
