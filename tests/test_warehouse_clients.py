"""The warehouse opens in the DuckDB clients BI tools and notebooks bundle (1.4 and later),
not only in the DuckDB this project runs: it is written in an older storage format."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from distill_duck.cli import main
from distill_duck.example import EXAMPLE
from distill_duck.warehouse import STORAGE_VERSION_ENV, storage_version
from tests.conftest import RECORDED_AT, evidence, scored, write_partition

REPO = Path(__file__).resolve().parent.parent
OLD_CLIENT = "duckdb==1.4.*"

READ = textwrap.dedent("""
    import json, sys, duckdb
    con = duckdb.connect(sys.argv[1], read_only=True)
    tables = dict(con.execute("SELECT table_name, comment FROM duckdb_tables()").fetchall())
    counts = {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
    column = con.execute("SELECT comment FROM duckdb_columns() WHERE table_name = 'quarantine'"
                         " AND column_name = 'reason'").fetchone()[0]
    print(json.dumps({"version": duckdb.__version__, "comments": tables, "counts": counts,
                      "column_comment": column}))
""")


def _lake(root: Path) -> None:
    write_partition(root, "scored-runs", "2026/04/27/scrum_reviews.jsonl",
                    [scored("a1", task="t"), scored("a2", task="t"), scored("r1", "rejected", task="t"),
                     "oops"])
    write_partition(root, "evidence", "2026/04/27/scrum_reviews.jsonl",
                    [evidence("a1", text="one"), evidence("a2", text="two"), evidence("r1", text="bad")])


def _storage(path: Path) -> str:
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH '{path}' AS w (READ_ONLY)")
        return con.execute("SELECT tags['storage_version'] FROM duckdb_databases()"
                           " WHERE database_name = 'w'").fetchone()[0]
    finally:
        con.close()


def test_the_warehouse_is_written_in_the_configured_storage_format(
        lakehouse: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _lake(lakehouse)
    assert main(["export-all", "--root", str(lakehouse), "--recorded-at", RECORDED_AT, "--json"]) == 0
    assert _storage(lakehouse / "warehouse.duckdb") == storage_version() + "+" == "v1.4.0+"
    assert _storage(REPO / EXAMPLE) == "v1.4.0+"
    # configurable; a warehouse in another format is rebuilt, not copied and extended
    monkeypatch.setenv(STORAGE_VERSION_ENV, "v1.5.0")
    assert main(["export-all", "--root", str(lakehouse), "--recorded-at", RECORDED_AT, "--json"]) == 0
    assert _storage(lakehouse / "warehouse.duckdb") == "v1.5.0+"
    monkeypatch.setenv(STORAGE_VERSION_ENV, "v9")
    assert main(["export-all", "--root", str(lakehouse), "--recorded-at", RECORDED_AT, "--json"]) == 2


def _old_client(cache: Path) -> Path:
    """A virtualenv with a DuckDB 1.4 wheel, made once and kept in pytest's cache."""
    venv = cache / "venv"
    python = venv / "bin" / "python"
    if not python.exists() or subprocess.run([str(python), "-c", "import duckdb"]).returncode != 0:
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        got = subprocess.run([str(python), "-m", "pip", "install", "--quiet", OLD_CLIENT],
                             capture_output=True, text=True)
        if got.returncode != 0:
            pytest.skip(f"cannot install {OLD_CLIENT} (no package index?): {got.stderr.strip()[-200:]}")
    return python


@pytest.mark.slow
def test_a_duckdb_1_4_client_opens_the_warehouse_with_its_comments(
        lakehouse: Path, request: pytest.FixtureRequest) -> None:
    python = _old_client(Path(request.config.cache.mkdir("duckdb-1.4-client")))
    _lake(lakehouse)
    assert main(["export-all", "--root", str(lakehouse), "--recorded-at", RECORDED_AT, "--json"]) == 0
    for db in (lakehouse / "warehouse.duckdb", REPO / EXAMPLE):
        p = subprocess.run([str(python), "-c", READ, str(db)], capture_output=True, text=True,
                           env={**os.environ, "PYTHONPATH": ""})
        assert p.returncode == 0, p.stderr
        seen = json.loads(p.stdout)
        assert seen["version"].startswith("1.4.")
        assert {"quarantine", "rag_samples", "runs", "warehouse_sources"} <= set(seen["comments"])
        assert all(seen["comments"].values()) and seen["column_comment"]
        assert seen["counts"]["quarantine"] > 0
