"""A write that fails stops the run with a one-line error (no traceback) and leaves every
existing output file byte-identical; once the cause is gone, the next run converges.

The failures work as root (where chmod does not stop writes): a directory or a regular file
where the run needs the other, and a file-size limit (RLIMIT_FSIZE, like a full disk).
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from distill_duck.demo import write_demo
from tests.conftest import RECORDED_AT, evidence, run_cli, scored, write_partition

EXPORT = ("export-all", "--recorded-at", RECORDED_AT, "--json")
RAG = "exports/rag/playbooks.jsonl"
SFT = "exports/sft/instruction_response.jsonl"
PREF = "exports/preference/chosen_rejected.jsonl"
Q_PREF = "exports/quarantine/preference.jsonl"
OUTPUTS = (RAG, SFT, PREF, "exports/quarantine/rag.jsonl", "exports/quarantine/sft.jsonl", Q_PREF)
NEW_PARTITION = "2026/05/01/late.jsonl"  # sorts after every demo partition


def cli(root: Path, *args: str, limit_bytes: int | None = None) -> subprocess.CompletedProcess[str]:
    """The CLI in this process, or in a subprocess with a file-size limit of its own."""
    if limit_bytes is None:
        return run_cli(*args, "--root", str(root), check=False)

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))

    return subprocess.run([sys.executable, "-m", "distill_duck", *args, "--root", str(root)],
                          capture_output=True, text=True, timeout=300, preexec_fn=limit)


def tree(base: Path) -> dict[str, bytes | None]:
    """Files (bytes) and directories (None) under base."""
    return {p.relative_to(base).as_posix(): (p.read_bytes() if p.is_file() else None)
            for p in sorted(base.rglob("*"))}


def add_new_inputs(root: Path) -> None:
    """Records that give every one of the six output files new rows."""
    body = "# Finding\n" + "the patch keeps the invariant. " * 700  # ~20 KB per text
    write_partition(root, "scored-runs", NEW_PARTITION, [
        scored("late-a", task="late:t1"),
        scored("late-r", "rejected", task="late:t1"),
        scored("late-self", task="late:t2"),
        scored("late-self", "rejected", task="late:t2", sig="sig-late-self-2"),
    ])
    write_partition(root, "evidence", NEW_PARTITION, [
        evidence("late-a", text=body + " accepted"),
        evidence("late-r", text=body + " rejected"),
        evidence("late-self", text=body + " self"),
    ])


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, bytes | None]]:
    """A lakehouse after one run, with new inputs added since; and the exports an
    uninterrupted run on it writes."""
    base = tmp_path_factory.mktemp("unwritable")
    before = base / "before"
    write_demo(before, runs=300, seed=2)
    assert cli(before, *EXPORT).returncode == 0
    add_new_inputs(before)
    ref = base / "reference"
    shutil.copytree(before, ref)
    assert cli(ref, *EXPORT).returncode == 0
    expected = tree(ref / "exports")
    for rel in OUTPUTS:
        old, new = (before / rel).read_bytes(), expected[rel.removeprefix("exports/")]
        assert new is not None and new.startswith(old) and len(new) > len(old), f"{rel} gets new rows"
    return before, expected


def quarantine_dir_is_a_file(root: Path) -> str:
    shutil.rmtree(root / "exports/quarantine")
    (root / "exports/quarantine").write_text("not a directory\n")
    return "quarantine"


def quarantine_file_is_a_directory(root: Path) -> str:
    (root / Q_PREF).unlink()
    (root / Q_PREF / "x").mkdir(parents=True)
    return "preference.jsonl"


def sft_file_is_a_directory(root: Path) -> str:
    (root / SFT).unlink()
    (root / SFT / "x").mkdir(parents=True)
    return "instruction_response.jsonl"


def sft_dir_read_only(root: Path) -> str:
    os.chmod(root / "exports/sft", 0o555)
    probe = root / "exports/sft/.probe"
    try:
        probe.write_text("")
    except PermissionError:
        return "instruction_response.jsonl"
    probe.unlink()
    os.chmod(root / "exports/sft", 0o755)
    pytest.skip("chmod does not stop writes here (running as root)")


def undo(root: Path) -> None:
    """Remove whatever obstacle a case put in place."""
    if (root / "exports/sft").is_dir():
        os.chmod(root / "exports/sft", 0o755)
    for rel in (SFT, Q_PREF):
        if (root / rel).is_dir():
            shutil.rmtree(root / rel)
    if (root / "exports/quarantine").is_file():
        (root / "exports/quarantine").unlink()


CASES: dict[str, Callable[[Path], str]] = {
    "quarantine-dir-is-a-file": quarantine_dir_is_a_file,           # fails at the first write
    "quarantine-file-is-a-directory": quarantine_file_is_a_directory,  # the first write too
    "sft-file-is-a-directory": sft_file_is_a_directory,             # fails at the last export file
    "sft-dir-read-only": sft_dir_read_only,                         # as a non-root user
}


def check_refused(p: subprocess.CompletedProcess[str], names: str | None, before: dict[str, bytes | None],
                  after: dict[str, bytes | None]) -> list[str]:
    problems = []
    if p.returncode != 1:
        problems.append(f"exit code {p.returncode}, expected 1")
    lines = p.stderr.strip().splitlines()
    if len(lines) != 1 or "Traceback" in p.stderr:
        problems.append(f"stderr is not one line: {len(lines)} lines, last: {lines[-1] if lines else ''!r}")
    elif not lines[0].startswith("distill-duck: error: "):
        problems.append(f"not the CLI's error line: {lines[0]!r}")
    elif names is not None and names not in lines[0]:
        problems.append(f"the error does not name {names!r}: {lines[0]!r}")
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k, b"?") != after.get(k, b"?"))
    if changed:
        problems.append(f"exports/ changed although the run failed: {changed}")
    return problems


@pytest.mark.parametrize("case", list(CASES))
def test_failed_write_stops_the_run_and_changes_nothing(
    case: str, prepared: tuple[Path, dict[str, bytes | None]], tmp_path: Path
) -> None:
    root = tmp_path / "lake"
    shutil.copytree(prepared[0], root)
    names = CASES[case](root)
    before = tree(root / "exports")
    p = cli(root, *EXPORT)
    after = tree(root / "exports")
    undo(root)
    problems = check_refused(p, names, before, after)
    assert not problems, "\n".join(problems) + f"\nstderr:\n{p.stderr[-2000:]}"

    # once the obstacle is gone the next run completes and the datasets are what an
    # uninterrupted run writes
    p = cli(root, *EXPORT)
    assert p.returncode == 0, p.stderr
    final = tree(root / "exports")
    for rel in (RAG, SFT, PREF):
        assert final[rel.removeprefix("exports/")] == prepared[1][rel.removeprefix("exports/")], rel
    assert cli(root, "health").returncode == 0


@pytest.mark.slow
def test_file_size_limit_stops_the_run_and_changes_nothing(
    prepared: tuple[Path, dict[str, bytes | None]], tmp_path: Path
) -> None:
    """Running out of space (RLIMIT_FSIZE: a write past the limit fails with EFBIG). A 20 MB
    row of another tool at the end of the RAG file makes it the one file that cannot grow,
    so the write fails part-way through the RAG file, after the quarantine and preference
    files would have been written (unless some scratch file of the run hits the limit first)."""
    root = tmp_path / "lake"
    shutil.copytree(prepared[0], root)
    old_rag = (root / RAG).read_bytes()
    padding = b'{"id":"rag-padding","note":"' + b"x" * 20_000_000 + b'"}\n'
    (root / RAG).write_bytes(old_rag + padding)
    limit = len(old_rag) + len(padding) + 1000  # the new RAG rows are larger than 1000 bytes
    assert all((root / rel).stat().st_size + 100_000 < limit for rel in OUTPUTS if rel != RAG)
    before = tree(root / "exports")
    p = cli(root, *EXPORT, limit_bytes=limit)
    after = tree(root / "exports")
    problems = check_refused(p, None, before, after)
    assert not problems, "\n".join(problems) + f"\nstderr:\n{p.stderr[-2000:]}"

    # with room again, the run appends what an uninterrupted run appends
    p = cli(root, *EXPORT)
    assert p.returncode == 0, p.stderr
    expected = dict(prepared[1])
    ref_rag = expected["rag/playbooks.jsonl"]
    assert ref_rag is not None
    expected["rag/playbooks.jsonl"] = old_rag + padding + ref_rag[len(old_rag):]
    assert tree(root / "exports") == expected
