"""Incremental runs: the parsed-input cache and the carried-over warehouse relations.

Every test compares an incremental run with the same run made from nothing (no cache, no
previous warehouse): the bytes of the export files and the contents of every warehouse
relation must be the same; only the work done differs.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import evidence, examples, export_json, scored, snapshot, write_partition

CACHE = ".distill_duck/input_cache.duckdb"
# columns that hold when (and on which files) a run happened, not what it found
TIMES = {"runs": ("started_at", "finished_at", "run_id"), "warehouse_sources": ("built_at", "fingerprint")}


def _day(root: Path, day: str, n: int = 3, source: str = "scrum_reviews") -> None:
    rel = f"2026/04/{day}/{source}.jsonl"
    write_partition(root, "scored-runs", rel,
                    [scored(f"a{day}{source}{i}", task=f"t{day}") for i in range(n)]
                    + [scored(f"r{day}{source}", "rejected", task=f"t{day}"), "not json"])
    write_partition(root, "evidence", rel,
                    [evidence(f"a{day}{source}{i}", text=f"answer {day} {i}") for i in range(n)]
                    + [evidence(f"r{day}{source}", text="bad answer"), "{broken"])


def _receipt(root: Path) -> dict[str, Any]:
    latest = sorted((root / "reports/distillation").glob("*/receipt.json"))[-1]
    return json.loads(latest.read_text())


def _warehouse(root: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every relation's rows, sorted, without the columns that record run times."""
    con = duckdb.connect(str(root / "warehouse.duckdb"), read_only=True)
    try:
        out = {}
        for (table,) in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall():
            cols = [c for (c,) in con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE table_name = ? ORDER BY column_index",
                [table]).fetchall() if c not in TIMES.get(table, ())]
            select = ", ".join(f'CAST("{c}" AS VARCHAR)' for c in cols)
            out[table] = sorted(con.execute(f'SELECT {select} FROM "{table}"').fetchall(), key=repr)
        return out
    finally:
        con.close()


def _built_at(root: Path) -> dict[str, str]:
    con = duckdb.connect(str(root / "warehouse.duckdb"), read_only=True)
    try:
        return dict(con.execute("SELECT relation, built_at FROM warehouse_sources").fetchall())
    finally:
        con.close()


def _from_nothing(root: Path, twin: Path) -> None:
    """Make twin a copy of root without the cache and the warehouse (what a first run sees
    of the outputs, with the export files as they are)."""
    shutil.copytree(root, twin)
    shutil.rmtree(twin / ".distill_duck", ignore_errors=True)
    (twin / "warehouse.duckdb").unlink(missing_ok=True)


def _same_run(root: Path, twin: Path, gates: bool = False) -> None:
    """Run both, then check they wrote the same bytes and publish the same relations."""
    a, b = export_json(root, gates=gates), export_json(twin, gates=gates)
    assert a == b
    exports = snapshot(root / "exports")
    assert exports and exports == snapshot(twin / "exports")
    assert _warehouse(root) == _warehouse(twin)


def _parsed(root: Path) -> dict[str, dict[str, int]]:
    """The partition files each input model had and parsed in the last run."""
    cache = _receipt(root)["input_cache"]
    return {m: cache[m] for m in ("scored_records", "evidence_records")}


def _outputs_parsed(root: Path) -> dict[str, int]:
    """How many output files each model kept per output file parsed in the last run."""
    cache = _receipt(root)["input_cache"]
    return {m: cache[m]["parsed"] for m in ("existing_ids", "existing_fingerprints") if m in cache}


def test_a_rerun_parses_nothing_and_carries_the_warehouse_over(lakehouse: Path, tmp_path: Path) -> None:
    _day(lakehouse, "27")
    _day(lakehouse, "28")
    export_json(lakehouse)
    first = _built_at(lakehouse)
    assert _parsed(lakehouse) == {"scored_records": {"files": 2, "parsed": 2},
                                  "evidence_records": {"files": 2, "parsed": 2}}
    _from_nothing(lakehouse, tmp_path / "twin")
    _same_run(lakehouse, tmp_path / "twin")
    assert _parsed(lakehouse) == {"scored_records": {"files": 2, "parsed": 0},
                                  "evidence_records": {"files": 2, "parsed": 0}}
    assert _outputs_parsed(lakehouse) == {"existing_ids": 0}
    second = _built_at(lakehouse)
    # nothing new: only the run history changed, every other relation is the old one
    assert {r for r in second if second[r] != first[r]} == {"runs"}


def test_a_new_day_parses_only_its_files(lakehouse: Path, tmp_path: Path) -> None:
    _day(lakehouse, "27")
    export_json(lakehouse)
    _day(lakehouse, "28")
    _day(lakehouse, "28", source="audits")
    _from_nothing(lakehouse, tmp_path / "twin")
    _same_run(lakehouse, tmp_path / "twin")
    assert _parsed(lakehouse) == {"scored_records": {"files": 3, "parsed": 2},
                                  "evidence_records": {"files": 3, "parsed": 2}}


def test_changed_and_removed_files_are_read_again(lakehouse: Path, tmp_path: Path) -> None:
    _day(lakehouse, "27")
    _day(lakehouse, "28")
    _day(lakehouse, "29")
    export_json(lakehouse)
    # 27: a line appended; 28: rewritten in place with the same size; 29: gone
    s27 = lakehouse / "data/scored-runs/2026/04/27/scrum_reviews.jsonl"
    e27 = lakehouse / "data/evidence/2026/04/27/scrum_reviews.jsonl"
    with s27.open("a") as f:
        f.write(json.dumps(scored("late27", task="t27")) + "\n")
    with e27.open("a") as f:
        f.write(json.dumps(evidence("late27", text="late answer")) + "\n")
    e28 = lakehouse / "data/evidence/2026/04/28/scrum_reviews.jsonl"
    stat = e28.stat()
    e28.write_bytes(e28.read_bytes().replace(b"answer 28 1", b"ANSWER 28 1"))
    os.utime(e28, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # even with the old mtime
    assert e28.stat().st_size == stat.st_size
    for kind in ("scored-runs", "evidence"):
        (lakehouse / f"data/{kind}/2026/04/29/scrum_reviews.jsonl").unlink()
    _from_nothing(lakehouse, tmp_path / "twin")
    _same_run(lakehouse, tmp_path / "twin")
    assert _parsed(lakehouse) == {"scored_records": {"files": 2, "parsed": 1},
                                  "evidence_records": {"files": 2, "parsed": 2}}
    con = duckdb.connect(str(lakehouse / "warehouse.duckdb"), read_only=True)
    try:
        texts = {t for (t,) in con.execute("SELECT text FROM evidence").fetchall()}
        files = {f for (f,) in con.execute("SELECT DISTINCT file FROM scored_runs").fetchall()}
    finally:
        con.close()
    assert {"late answer", "ANSWER 28 1"} <= texts and "answer 28 1" not in texts
    assert not any("/29/" in f for f in files)


def test_a_damaged_cache_or_warehouse_is_rebuilt(lakehouse: Path, tmp_path: Path) -> None:
    _day(lakehouse, "27")
    export_json(lakehouse)
    _day(lakehouse, "28")
    (lakehouse / CACHE).write_bytes(b"this is not a database")
    # a warehouse without fingerprints (another tool's file, an older version)
    (lakehouse / "warehouse.duckdb").unlink()
    duckdb.connect(str(lakehouse / "warehouse.duckdb")).close()
    _from_nothing(lakehouse, tmp_path / "twin")
    _same_run(lakehouse, tmp_path / "twin")
    assert _parsed(lakehouse)["evidence_records"] == {"files": 2, "parsed": 2}


def test_a_night_reads_no_output_line_it_wrote(lakehouse: Path, tmp_path: Path) -> None:
    """The ids and fingerprints of the output files are kept per file: the run that appends
    lines adds theirs, so the next run parses no output file, until one is changed by
    anyone else (here only touched), which is then read whole."""
    _day(lakehouse, "27")
    export_json(lakehouse, gates=True)
    _day(lakehouse, "28")
    _from_nothing(lakehouse, tmp_path / "twin")
    _same_run(lakehouse, tmp_path / "twin", gates=True)
    assert _outputs_parsed(lakehouse) == {"existing_ids": 0, "existing_fingerprints": 0}
    _day(lakehouse, "29")
    os.utime(lakehouse / "exports/rag/playbooks.jsonl")
    shutil.rmtree(tmp_path / "twin")
    _from_nothing(lakehouse, tmp_path / "twin")
    _same_run(lakehouse, tmp_path / "twin", gates=True)
    assert _outputs_parsed(lakehouse) == {"existing_ids": 1, "existing_fingerprints": 1}



def test_a_dry_run_leaves_the_cache_alone(lakehouse: Path) -> None:
    _day(lakehouse, "27")
    export_json(lakehouse)
    before = (lakehouse / CACHE).read_bytes()
    _day(lakehouse, "28")
    export_json(lakehouse, "export-all", "--dry-run")
    assert (lakehouse / CACHE).read_bytes() == before


# SPEC 14: what happens to a growing lakehouse between runs. A day's partition is written
# afresh (a new day, a late earlier one, or a rewrite), gets a line appended, or is
# deleted; an output file is left with a torn last line (a crash of something else)
OPS = st.lists(st.tuples(st.sampled_from(["write", "append", "delete", "tear", "run"]),
                         st.sampled_from(["24", "25", "26", "27"])), min_size=1, max_size=7)
OUTPUT_FILES = ("exports/rag/playbooks.jsonl", "exports/sft/instruction_response.jsonl",
                "exports/quarantine/rag.jsonl", "exports/preference/chosen_rejected.jsonl")


@pytest.mark.slow
@settings(max_examples=examples(4), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS, gates=st.booleans())
def test_any_history_of_changes_gives_what_a_first_run_gives(tmp_path_factory: Any, ops: list,
                                                              gates: bool) -> None:
    """Every run of a sequence writes what the same run writes with .distill_duck/ and the
    warehouse deleted first (the export files as they are), byte for byte, with the safety
    gates (whose history is the exported rows) on or off."""
    root = tmp_path_factory.mktemp("lake")
    n = 0
    for op, day in ops + [("run", "")]:
        n += 1
        if op == "write":
            _day(root, day, n=1 + n % 3)
        elif op == "tear":
            target = root / OUTPUT_FILES[int(day) % len(OUTPUT_FILES)]
            if target.is_file() and target.stat().st_size > 10:
                with target.open("r+b") as f:  # cut the last line in half
                    f.truncate(target.stat().st_size - 7)
        elif op == "append":
            for kind, rec in (("scored-runs", scored(f"x{n}", task=f"t{day}")),
                              ("evidence", evidence(f"x{n}", text=f"extra {n}"))):
                path = root / f"data/{kind}/2026/04/{day}/scrum_reviews.jsonl"
                path.parent.mkdir(parents=True, exist_ok=True)
                with path.open("a") as f:
                    f.write(json.dumps(rec) + "\n")
        elif op == "delete":
            for kind in ("scored-runs", "evidence"):
                (root / f"data/{kind}/2026/04/{day}/scrum_reviews.jsonl").unlink(missing_ok=True)
        elif any((root / "data/scored-runs").rglob("*.jsonl")):
            twin = tmp_path_factory.mktemp("twin") / "lake"
            _from_nothing(root, twin)
            _same_run(root, twin, gates=gates)


def test_the_sql_lineage_follows_the_models_upstream_and_the_macros(tmp_path: Path) -> None:
    """What the cache and the warehouse fingerprints key on besides the files: a change to
    a model's SQL, to anything upstream of it or to a macro changes its lineage; a change
    downstream of it does not."""
    from distill_duck.runner import SQL_DIR, Project
    from distill_duck.session import RunOptions

    sql = tmp_path / "sql"
    shutil.copytree(SQL_DIR, sql)

    def lineage(include_review: bool = False) -> dict[str, str]:
        project = Project(RunOptions(include_review=include_review).context(), sql_dir=sql)
        return {name: project.sql_lineage(name) for name in ("evidence_records", "rag_decisions")}

    before = lineage()
    assert lineage() == before  # a pure function of the rendered SQL
    # run options rendered into a model count for it, not for the parsing upstream
    other_option = lineage(include_review=True)
    assert other_option["evidence_records"] == before["evidence_records"]
    assert other_option["rag_decisions"] != before["rag_decisions"]
    # recorded_at is bound, not rendered: runs at different times share every lineage
    assert Project(RunOptions(recorded_at="2026-04-28T00:00:00.000Z").context(),
                   sql_dir=sql).sql_lineage("rag_decisions") == before["rag_decisions"]
    with open(sql / "gates/rag_decisions.sql", "a") as f:
        f.write("\n-- downstream of evidence_records only\n")
    after_gate = lineage()
    assert after_gate["evidence_records"] == before["evidence_records"]
    assert after_gate["rag_decisions"] != before["rag_decisions"]
    with open(sql / "inputs/evidence_lines.sql", "a") as f:
        f.write("\n-- upstream of both\n")
    after_input = lineage()
    assert after_input["evidence_records"] != after_gate["evidence_records"]
    assert after_input["rag_decisions"] != after_gate["rag_decisions"]
    with open(sql / "macros/10_text.sql", "a") as f:
        f.write("\nCREATE OR REPLACE TEMP MACRO lineage_probe() AS 1;\n")
    assert lineage()["evidence_records"] != after_input["evidence_records"]


def _memo(root: Path) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(root / CACHE), read_only=True)
    try:
        return con.execute("SELECT text_digest, content_key FROM fingerprint_memo ORDER BY 1").fetchall()
    finally:
        con.close()


def _digest(text: str) -> int:
    con = duckdb.connect()
    try:
        return con.execute("SELECT md5_number(?)", [text]).fetchone()[0]
    finally:
        con.close()


def test_fingerprints_are_kept_by_text_and_computed_once(tmp_path: Path) -> None:
    """SPEC 12.4/12.5 fingerprints live in a content-addressed memo in the input cache: a
    run adds the texts it fingerprinted, a later run adds only texts not seen before, and
    the outputs are those of a run without the cache."""
    root = tmp_path / "lake"
    _day(root, "01")
    export_json(root, gates=True)
    first = {d for d, _ in _memo(root)}
    texts = [f"answer 01 {i}" for i in range(3)] + ["bad answer"]
    assert first == {_digest(t) for t in texts}  # every text a gate could reach, once
    _day(root, "02")  # three new answers and "bad answer" again
    export_json(root, gates=True)
    second = {d for d, _ in _memo(root)}
    assert second == first | {_digest(f"answer 02 {i}") for i in range(3)}
    fresh = tmp_path / "fresh"
    shutil.copytree(root, fresh)
    for p in ("exports", ".distill_duck", "warehouse.duckdb", "reports"):
        shutil.rmtree(fresh / p, ignore_errors=True)
        (fresh / p).unlink(missing_ok=True)
    export_json(fresh, gates=True)
    _day(fresh, "02")
    export_json(fresh, gates=True)
    assert snapshot(fresh / "exports") == snapshot(root / "exports")


def test_the_memo_is_what_the_gates_read(tmp_path: Path) -> None:
    """A memo row is trusted by its text's digest: a planted row giving an exported text the
    content key of a new one makes the exact-duplicate gate refuse the new one, without
    fingerprinting the exported row again. (It shows the memo is read; a real memo only
    ever holds what the code computed.) Deleting the cache gives the true answer."""
    root, probe = tmp_path / "lake", tmp_path / "probe"
    _day(root, "01")
    export_json(root, gates=True)
    shutil.copytree(root, probe)
    _day(probe, "02")
    export_json(probe, gates=True)
    (new_key,) = [k for d, k in _memo(probe) if d == _digest("answer 02 0")]
    con = duckdb.connect(str(root / CACHE))
    con.execute("UPDATE fingerprint_memo SET content_key = ? WHERE text_digest = ?",
                [new_key, _digest("answer 01 0")])
    con.close()
    _day(root, "02")
    # the exported row's fingerprint is kept with its file: a touched file is read whole
    # again, its texts looked up in the memo
    os.utime(root / "exports/rag/playbooks.jsonl")
    planted = export_json(root, gates=True)
    assert planted["rag"]["quarantine_by_reason"].get("duplicate_content") == 1
    shutil.rmtree(root / ".distill_duck")
    shutil.rmtree(root / "exports")
    honest = export_json(root, gates=True)
    assert "duplicate_content" not in honest["rag"]["quarantine_by_reason"]
