"""What a new user meets at the command line: exit codes (SPEC 11), closed pipes, empty and
multi-statement queries, a read-only query tool, roots without data/, demo into a full
directory, help texts and query output formats."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from distill_duck.cli import main
from distill_duck.lock import root_lock
from tests.conftest import RECORDED_AT, evidence, run_cli, scored, shared_lake, snapshot, write_partition

REL = "2026/04/26/scrum_reviews.jsonl"


def small_lake(root: Path) -> Path:
    write_partition(root, "scored-runs", REL, [scored("a1", task="t"), scored("r1", "rejected", task="t"),
                                               scored("a2", task="t")])
    write_partition(root, "evidence", REL, [evidence("a1", text="first answer"),
                                            evidence("r1", text="a worse answer"),
                                            evidence("a2", text="second answer")])
    return root


def _exported_small_lake(root: Path) -> None:
    small_lake(root)
    run_cli("export-all", "--root", str(root), "--recorded-at", RECORDED_AT)


# a copy of one small lakehouse after one export (each test may change its copy)
_exported_once, exported = shared_lake("exported", _exported_small_lake)


def one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith("distill-duck: error: "), lines[0]
    return lines[0]


# -- exit codes (item 12) ------------------------------------------------------------------


def test_an_unknown_model_is_a_bad_invocation_for_compile_and_run(
        lakehouse: Path, capsys: pytest.CaptureFixture[str]) -> None:
    small_lake(lakehouse)
    assert main(["compile", "nosuch"]) == 2
    assert "nosuch" in one_error_line(capsys.readouterr().err)
    before = snapshot(lakehouse)
    assert main(["run", "--root", str(lakehouse), "--select", "nosuch"]) == 2
    assert "nosuch" in one_error_line(capsys.readouterr().err)
    assert snapshot(lakehouse) == before


def test_a_held_lock_exits_3(lakehouse: Path, capsys: pytest.CaptureFixture[str]) -> None:
    small_lake(lakehouse)
    # flock conflicts between two open descriptions of the file, even in one process
    with root_lock(lakehouse):
        assert main(["export-all", "--root", str(lakehouse)]) == 3
        assert "lock" in one_error_line(capsys.readouterr().err)
        assert main(["run", "--root", str(lakehouse)]) == 3
        capsys.readouterr()
    assert not (lakehouse / "exports").exists()


def test_out_of_memory_exits_3_and_names_the_setting(
        lakehouse: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    small_lake(lakehouse)
    # large enough text that the JSON parse of one line cannot fit in 1 MB
    write_partition(lakehouse, "scored-runs", "2026/04/27/big.jsonl",
                    [scored("b1", notes="x" * 4_000_000)])
    monkeypatch.setenv("DISTILL_DUCK_MEMORY_LIMIT", "1MB")
    assert main(["export-all", "--root", str(lakehouse)]) == 3
    assert "DISTILL_DUCK_MEMORY_LIMIT" in one_error_line(capsys.readouterr().err)
    assert not (lakehouse / "exports").exists()


def test_failed_run_checks_still_exit_1_and_health_violations_too(
        exported: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sft = exported / "exports/sft/instruction_response.jsonl"
    row = json.loads(sft.read_text().splitlines()[0])
    row.update(id="sft-0123456789abcdef", quality_score="rejected")
    with sft.open("a") as f:
        f.write(json.dumps(row) + "\n")
    assert main(["health", "--root", str(exported)]) == 1
    assert main(["export-all", "--root", str(exported)]) == 1
    assert "sft_firewall" in one_error_line(capsys.readouterr().err)


# -- closed pipes (item 6) -----------------------------------------------------------------


# prints a line, waits for the reader to close the pipe, then runs the command
AFTER_A_LINE = """\
import sys, time
from distill_duck.cli import main
sys.stdout.write("first line\\n"); sys.stdout.flush(); time.sleep(0.5)
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("args", [
    ["query", "SELECT range AS n FROM range(200000)", "--root"],
    ["compile", "rag_decisions"],
    ["models"],
])
def test_a_closed_pipe_is_a_normal_end(exported: Path, args: list[str]) -> None:
    # like `... | head -1`: the reader has gone when the command writes
    argv = [*args, str(exported)] if args[-1] == "--root" else args
    proc = subprocess.Popen([sys.executable, "-c", AFTER_A_LINE, *argv],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline() == b"first line\n"
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 0, err
    assert err == ""


# -- query (items 7, 8, 16) ----------------------------------------------------------------


@pytest.mark.parametrize("sql", ["", "   ", "-- just a comment", ";"])
def test_a_query_without_a_statement_is_a_bad_invocation(
        exported: Path, capsys: pytest.CaptureFixture[str], sql: str) -> None:
    assert main(["query", "--root", str(exported), sql]) == 2
    assert "statement" in one_error_line(capsys.readouterr().err)


def test_every_statement_of_a_query_shows_its_result(
        exported: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["query", "--root", str(exported), "SELECT 1 AS one; SELECT 2 AS two"]) == 0
    out = capsys.readouterr().out
    assert "one" in out and "two" in out
    assert out.index("one") < out.index("two")
    assert out.count("(1 row)") == 2


def test_several_statements_cannot_be_one_csv_or_json_document(
        exported: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for fmt in ("csv", "json"):
        assert main(["query", "--root", str(exported), "--format", fmt, "SELECT 1; SELECT 2"]) == 2
        assert fmt in one_error_line(capsys.readouterr().err)


def test_a_bad_query_is_one_line(exported: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["query", "--root", str(exported), "SELECT * FROM nosuch_table"]) == 2
    assert "nosuch_table" in one_error_line(capsys.readouterr().err)


def test_query_cannot_touch_files_outside_the_warehouse(
        exported: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    secret = tmp_path / "secret.txt"
    secret.write_text("do not read me")
    out_file = tmp_path / "x.csv"
    for sql in (f"COPY (SELECT 1) TO '{out_file}'",
                f"SELECT content FROM read_text('{secret}')",
                f"SELECT * FROM read_csv('{secret}')",
                f"ATTACH '{tmp_path / 'other.duckdb'}' AS other",
                "SET enable_external_access = true"):
        assert main(["query", "--root", str(exported), sql]) != 0, sql
        err = capsys.readouterr()
        assert "do not read me" not in err.out
        one_error_line(err.err)
    assert not out_file.exists() and not (tmp_path / "other.duckdb").exists()
    # the warehouse itself still answers
    assert main(["query", "--root", str(exported), "SELECT count(*) AS n FROM sft_samples"]) == 0
    assert capsys.readouterr().out.splitlines()[2].strip() == "2"


def test_csv_writes_lists_as_json_and_json_parses_json_columns(
        exported: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sql = "SELECT tags, source_record, errors FROM rag_samples, quarantine WHERE exporter = 'rag' LIMIT 1"
    assert main(["query", "--root", str(exported), "--format", "csv", sql]) == 0
    row = next(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    tags = json.loads(row["tags"])  # a JSON array, not a Python repr
    assert isinstance(tags, list) and tags and all(isinstance(t, str) for t in tags)
    assert isinstance(json.loads(row["source_record"]), dict)
    assert isinstance(json.loads(row["errors"]), list)

    assert main(["query", "--root", str(exported), "--format", "json", sql]) == 0
    [value] = json.loads(capsys.readouterr().out)
    assert isinstance(value["source_record"], dict), value  # JSON columns as JSON, not strings
    assert value["source_record"]["evidence_run_id"] == "r1"
    assert isinstance(value["tags"], list)


def test_the_table_format_says_when_it_cuts_cells(
        exported: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["query", "--root", str(exported), "SELECT repeat('y', 100) AS long, 'short' AS s"]) == 0
    out = capsys.readouterr().out
    assert "y" * 100 not in out
    assert "cut" in out.splitlines()[-1] and "--format" in out.splitlines()[-1]
    assert main(["query", "--root", str(exported), "SELECT 'short' AS s"]) == 0
    assert "cut" not in capsys.readouterr().out


# -- roots (item 9) ------------------------------------------------------------------------


@pytest.mark.parametrize("command", [
    ["export-all"], ["export-rag", "--dry-run"], ["run"], ["health"], ["query", "SELECT 1"], ["report"],
])
def test_a_root_without_data_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                        command: list[str]) -> None:
    root = tmp_path / "not-a-lake"
    root.mkdir()
    (root / "notes.txt").write_text("hello")
    assert main([*command, "--root", str(root)]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert "data/" in line and "is this a lakehouse root?" in line
    assert sorted(p.name for p in root.iterdir()) == ["notes.txt"]


def test_the_current_directory_without_data_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LH_DISTILL_ROOT", raising=False)
    assert main(["export-all"]) == 2
    assert "is this a lakehouse root?" in one_error_line(capsys.readouterr().err)
    assert list(tmp_path.iterdir()) == []


def test_data_without_scored_runs_is_zero_files(lakehouse: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (lakehouse / "data").mkdir()
    assert main(["export-all", "--root", str(lakehouse), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert {s["records_read"] for s in summary.values()} == {0}
    assert {s["scored_files_read"] for s in summary.values()} == {0}


# -- demo (items 14, 15) -------------------------------------------------------------------


def test_demo_refuses_a_directory_that_is_not_empty(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "lake"
    small_lake(target)
    before = snapshot(target)
    assert main(["demo", str(target), "--runs", "5"]) == 2
    assert "--force" in one_error_line(capsys.readouterr().err)
    assert snapshot(target) == before
    assert main(["demo", str(target), "--runs", "5", "--force"]) == 0
    assert len(snapshot(target)) > len(before)
    capsys.readouterr()
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["demo", str(empty), "--runs", "5"]) == 0


def test_the_demo_summary_is_for_reading(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", str(tmp_path / "lake"), "--runs", "50"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) > 3
    prose = [line for line in lines if str(tmp_path) not in line]
    assert max(map(len, prose)) <= 100, max(prose, key=len)
    assert any("scored_files" in line for line in lines)


# -- help (item 15) ------------------------------------------------------------------------


def help_of(capsys: pytest.CaptureFixture[str], *command: str) -> str:
    with pytest.raises(SystemExit) as stop:
        main([*command, "--help"])
    assert stop.value.code == 0
    return capsys.readouterr().out


def test_each_export_command_lists_only_its_own_options(capsys: pytest.CaptureFixture[str]) -> None:
    own = {"export-rag": {"--include-review"}, "export-sft": {"--include-partial"},
           "export-preference": {"--max-pairs-per-task"}}
    every = set().union(*own.values())
    for command, flags in own.items():
        text = help_of(capsys, command)
        for flag in every:
            assert (flag in text) == (flag in flags), (command, flag)
    for command in ("export-all", "run"):
        text = help_of(capsys, command)
        assert all(flag in text for flag in every), command


@pytest.mark.parametrize("command", ["models", "compile", "demo"])
def test_every_command_has_a_description(capsys: pytest.CaptureFixture[str], command: str) -> None:
    text = help_of(capsys, command)
    top = help_of(capsys)
    summary = next(line.split(None, 1)[1] for line in top.splitlines()
                   if line.strip().startswith(command + " "))
    body = text.split("\n\n", 1)[1]
    # a description of its own between the usage line and the arguments, beyond the summary
    assert not body.startswith(("positional arguments:", "options:")), text
    assert body.split("\n\n")[0].strip() != summary.strip(), text


# -- the summary for people says what was written (item 18) ---------------------------------


def test_the_summary_says_what_was_written_and_what_was_already_there(
        lakehouse: Path, capsys: pytest.CaptureFixture[str]) -> None:
    small_lake(lakehouse)
    args = ["export-all", "--root", str(lakehouse), "--recorded-at", RECORDED_AT]
    assert main(args) == 0
    first = capsys.readouterr().out
    assert "-> exports/rag/playbooks.jsonl (2 appended)" in first
    assert "-> exports/quarantine/rag.jsonl (1 appended)" in first
    assert "(the counts below are of pairs of runs, not records)" in first

    assert main(args) == 0  # nothing new: nothing written, and it says so
    again = capsys.readouterr().out
    assert "->" not in again
    assert "(nothing new for exports/quarantine/rag.jsonl; all 1 already there)" in again
    assert "(nothing new for exports/rag/playbooks.jsonl)" in again
    assert "skipped_existing         2  (already in exports/rag/playbooks.jsonl)" in again

    write_partition(lakehouse, "scored-runs", "2026/04/27/more.jsonl", [scored("r9", "rejected")])
    assert main([*args, "--dry-run"]) == 0
    dry = capsys.readouterr().out
    assert "-> exports/quarantine/rag.jsonl (1 would be appended, 1 already there)" in dry
    assert main(args) == 0
    assert "-> exports/quarantine/rag.jsonl (1 appended, 1 already there)" in capsys.readouterr().out


def test_a_full_disk_exits_3_and_changes_nothing(
        lakehouse: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    import distill_duck.export_files

    small_lake(lakehouse)

    def full(target: Path, new_lines: Path) -> Path | None:
        raise OSError(errno.ENOSPC, "No space left on device", str(target))

    monkeypatch.setattr(distill_duck.export_files, "prepare_append", full)
    assert main(["export-all", "--root", str(lakehouse)]) == 3
    assert "No space left on device" in one_error_line(capsys.readouterr().err)
    assert not (lakehouse / "exports").exists() and not (lakehouse / "warehouse.duckdb").exists()
