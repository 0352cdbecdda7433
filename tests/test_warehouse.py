"""The warehouse (SPEC section 10): documented relations that reconcile with the files,
safe while another process holds it open read-only, and the `query` command."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from tests.conftest import evidence, export_json, run_cli, scored, write_partition

RELATIONS = {"evidence", "scored_runs", "rag_samples", "sft_samples", "preference_pairs", "quarantine",
             "input_errors", "runs"}


def _lines(path: Path) -> int:
    return path.read_bytes().count(b"\n") if path.exists() else 0


def _small_lake(root: Path, day: str = "27", n: int = 4) -> None:
    write_partition(root, "scored-runs", f"2026/04/{day}/scrum_reviews.jsonl",
                    [scored(f"a{day}-{i}", task=f"t{day}") for i in range(n)]
                    + [scored(f"r{day}", "rejected", task=f"t{day}"), scored(f"n{day}", "needs_human_review"),
                       "not json"])
    write_partition(root, "evidence", f"2026/04/{day}/scrum_reviews.jsonl",
                    [evidence(f"a{day}-{i}", text=f"good answer {i} of day {day}") for i in range(n)]
                    + [evidence(f"r{day}", text=f"bad answer of day {day}"), evidence(f"n{day}"), "{broken"])


def _counts(db: Path) -> dict[str, int]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in RELATIONS}
    finally:
        con.close()


def test_relations_are_documented_and_reconcile_with_the_files(lakehouse: Path) -> None:
    _small_lake(lakehouse)
    export_json(lakehouse)
    _small_lake(lakehouse, day="28")
    summary = export_json(lakehouse)
    db = lakehouse / "warehouse.duckdb"
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = dict(con.execute("SELECT table_name, comment FROM duckdb_tables()").fetchall())
        assert RELATIONS <= set(tables)
        assert all(tables[t] for t in RELATIONS)
        undocumented = con.execute(
            "SELECT table_name, column_name FROM duckdb_columns()"
            " WHERE NOT internal AND coalesce(comment, '') = ''"
        ).fetchall()
        assert undocumented == []
        by_exporter = dict(con.execute("SELECT exporter, count(*) FROM quarantine GROUP BY 1").fetchall())
        runs = con.execute("SELECT exporter, records_exported FROM runs ORDER BY run_id, exporter").fetchall()
        input_errors = con.execute("SELECT kind, file, line FROM input_errors ORDER BY ALL").fetchall()
    finally:
        con.close()
    counts = _counts(db)
    exports = lakehouse / "exports"
    # datasets and quarantine reflect the files: both runs, not only the last
    assert counts["rag_samples"] == _lines(exports / "rag/playbooks.jsonl") == 8
    assert counts["sft_samples"] == _lines(exports / "sft/instruction_response.jsonl") == 8
    assert counts["preference_pairs"] == _lines(exports / "preference/chosen_rejected.jsonl") == 8
    for exporter in ("rag", "sft", "preference"):
        assert by_exporter.get(exporter, 0) == _lines(exports / f"quarantine/{exporter}.jsonl")
    # one runs row per exporter per command, with the summary's counts
    assert len(runs) == 6
    exporters = ("rag", "sft", "preference")
    assert sorted(runs[3:]) == sorted((e, summary[e]["records_exported"]) for e in exporters)
    assert input_errors == [
        ("evidence", "data/evidence/2026/04/27/scrum_reviews.jsonl", 6),
        ("evidence", "data/evidence/2026/04/28/scrum_reviews.jsonl", 6),
        ("scored", "data/scored-runs/2026/04/27/scrum_reviews.jsonl", 6),
        ("scored", "data/scored-runs/2026/04/28/scrum_reviews.jsonl", 6),
    ]
    assert counts["evidence"] == 12 and counts["scored_runs"] == 12


READER = textwrap.dedent("""
    import sys, duckdb
    db = sys.argv[1]
    con = duckdb.connect(db, read_only=True)
    print(con.execute("SELECT count(*) FROM rag_samples").fetchone()[0], flush=True)
    sys.stdin.readline()  # the test runs an export meanwhile
    print(con.execute("SELECT count(*) FROM rag_samples").fetchone()[0], flush=True)
    con.close()
    con = duckdb.connect(db, read_only=True)
    print(con.execute("SELECT count(*) FROM rag_samples").fetchone()[0], flush=True)
""")


def test_a_run_succeeds_while_another_process_holds_the_warehouse(lakehouse: Path) -> None:
    _small_lake(lakehouse)
    export_json(lakehouse)
    reader = subprocess.Popen([sys.executable, "-c", READER, str(lakehouse / "warehouse.duckdb")],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert reader.stdout is not None and reader.stdin is not None
        before = int(reader.stdout.readline())
        _small_lake(lakehouse, day="28")
        summary = export_json(lakehouse)  # must not fail on the reader's open connection
        assert summary["rag"]["records_exported"] == 4
        reader.stdin.write("go\n")
        reader.stdin.flush()
        still_open, reconnected = int(reader.stdout.readline()), int(reader.stdout.readline())
        assert reader.wait(timeout=30) == 0
    finally:
        reader.kill()
    assert before == 4
    assert still_open == 4  # the old warehouse, whole
    assert reconnected == 8  # the new one after reconnecting


def test_query_formats_and_errors(lakehouse: Path) -> None:
    (lakehouse / "data").mkdir()
    missing = run_cli("query", "--root", str(lakehouse), "SELECT 1", check=False)
    assert missing.returncode == 1 and "export-all" in missing.stderr
    assert len(missing.stderr.splitlines()) == 1
    _small_lake(lakehouse)
    export_json(lakehouse)
    sql = "SELECT exporter, reason, count(*) AS n FROM quarantine GROUP BY ALL ORDER BY exporter, reason"
    as_json = json.loads(run_cli("query", "--root", str(lakehouse), sql, "--format", "json").stdout)
    assert {"exporter": "sft", "reason": "unsafe_sft_category", "n": 2} in as_json
    as_csv = run_cli("query", "--root", str(lakehouse), sql, "--format", "csv").stdout.splitlines()
    assert as_csv[0] == "exporter,reason,n" and "sft,unsafe_sft_category,2" in as_csv
    table = run_cli("query", "--root", str(lakehouse), sql).stdout.splitlines()
    assert table[0].split() == ["exporter", "reason", "n"] and table[-1] == f"({len(as_json)} rows)"
    bad = run_cli("query", "--root", str(lakehouse), "SELEC 1", check=False)
    # the user's SQL is wrong: a bad invocation (SPEC 11)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1 and "query failed" in bad.stderr
    # read-only: a write is refused and changes nothing
    write = run_cli("query", "--root", str(lakehouse), "DROP TABLE runs", check=False)
    assert write.returncode == 2
    tables = run_cli("query", "--root", str(lakehouse), "SELECT table_name FROM duckdb_tables()",
                     "--format", "json").stdout
    assert "runs" in {r["table_name"] for r in json.loads(tables)}


def test_sqlalchemy_introspection_sees_every_relation(lakehouse: Path) -> None:
    """What a BI tool does on connecting: reflect every table with its columns and comments
    (Superset, Metabase's SQLAlchemy-based peers and pandas all call MetaData.reflect or
    Table(autoload_with=...)), then query through the reflected tables. This is what
    breaks with SQLAlchemy 2.0.45 and later (see the test extra in pyproject.toml)."""
    sa = pytest.importorskip("sqlalchemy")
    pytest.importorskip("duckdb_engine")
    _small_lake(lakehouse)
    export_json(lakehouse)
    engine = sa.create_engine(f"duckdb:///{lakehouse / 'warehouse.duckdb'}?access_mode=read_only")
    try:
        inspector = sa.inspect(engine)
        assert RELATIONS <= set(inspector.get_table_names())
        columns = {c["name"]: c for c in inspector.get_columns("quarantine")}
        assert {"exporter", "reason", "input_file", "input_line"} <= set(columns)
        assert columns["reason"]["comment"]
        assert inspector.get_table_comment("quarantine")["text"]

        metadata = sa.MetaData()
        metadata.reflect(engine)
        assert RELATIONS <= set(metadata.tables)
        quarantine = metadata.tables["quarantine"]
        runs = sa.Table("runs", sa.MetaData(), autoload_with=engine)
        assert quarantine.c.reason.comment and isinstance(quarantine.c.input_line.type, sa.Integer)
        with engine.connect() as conn:
            n = conn.execute(sa.text("SELECT count(*) FROM quarantine WHERE exporter = 'sft'")).scalar()
            by_exporter = dict(conn.execute(
                sa.select(quarantine.c.exporter, sa.func.count()).group_by(quarantine.c.exporter)
            ).all())
            exported = dict(conn.execute(sa.select(runs.c.exporter, runs.c.records_exported)).all())
        assert n == _lines(lakehouse / "exports/quarantine/sft.jsonl") == by_exporter["sft"]
        assert by_exporter["rag"] == _lines(lakehouse / "exports/quarantine/rag.jsonl")
        assert exported["rag"] == _lines(lakehouse / "exports/rag/playbooks.jsonl")
    finally:
        engine.dispose()
