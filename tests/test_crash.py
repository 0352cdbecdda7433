"""Crash safety (SPEC 3 "Torn files", 10; README "Atomic writes"): a run killed at any moment
leaves no torn output, and the next run converges on what an uninterrupted run writes.

The full campaign is `python tests/crash_campaign.py --trials 50 --runs 2000`; CI runs a
small one. The other tests kill a run exactly while it writes an export file, and leave torn
last lines "by something else" for a run to repair.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from distill_duck.demo import write_demo
from tests.conftest import RECORDED_AT, export_json, run_cli
from tests.crash_campaign import OUTPUT_FILES, line_problems, run_campaign

RAG = "exports/rag/playbooks.jsonl"
SFT = "exports/sft/instruction_response.jsonl"
PREF = "exports/preference/chosen_rejected.jsonl"
Q_RAG = "exports/quarantine/rag.jsonl"
Q_SFT = "exports/quarantine/sft.jsonl"
Q_PREF = "exports/quarantine/preference.jsonl"


def exports(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted((root / "exports").rglob("*")) if p.is_file()}


def lines_of(data: bytes) -> list[bytes]:
    assert data.endswith(b"\n")
    return data.split(b"\n")[:-1]


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, bytes]]:
    """Demo inputs big enough that writing an export file takes a while, and the exports of
    an uninterrupted run."""
    base = tmp_path_factory.mktemp("big")
    write_demo(base / "inputs", runs=1500, seed=4)
    shutil.copytree(base / "inputs", base / "ref")
    export_json(base / "ref")
    return base / "inputs", exports(base / "ref")


def kill_while_writing(root: Path, directory: str, timeout: float = 120) -> str | None:
    """Run export-all and SIGKILL it the moment a file other than an output file shows up in
    ``directory`` (the copy an export file is written to before it is renamed over it).
    Returns that file's name, or None when the run finished without one being seen."""
    watched = root / directory
    finals = {Path(rel).name for rel in OUTPUT_FILES}
    proc = subprocess.Popen([sys.executable, "-m", "distill_duck", "export-all", "--root", str(root),
                             "--recorded-at", RECORDED_AT, "--json"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                names = [e.name for e in os.scandir(watched)]
            except FileNotFoundError:
                continue
            seen = [n for n in names if n not in finals and not n.endswith(".torn")]
            if seen:
                proc.send_signal(signal.SIGKILL)
                return seen[0]
        return None
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


@pytest.mark.slow
@pytest.mark.parametrize("directory", ["exports/quarantine", "exports/rag"])
def test_kill_while_an_export_file_is_written(
    directory: str, big: tuple[Path, dict[str, bytes]], tmp_path: Path
) -> None:
    """Killed in the middle of writing an export file: no output is torn, and the next run
    leaves exports/ exactly as an uninterrupted run does (no half-written copies behind)."""
    for attempt in range(5):
        root = tmp_path / f"lake-{attempt}"
        shutil.copytree(big[0], root)
        caught = kill_while_writing(root, directory)
        # the kill only interrupted the write when the copy is still there (else it came
        # just after the rename, and the attempt proves nothing)
        if caught is not None and (root / directory / caught).exists():
            break
    else:
        pytest.fail(f"never killed a run while it wrote a file in {directory}")
    for rel, data in exports(root).items():
        if rel in OUTPUT_FILES:
            assert not line_problems(rel, data)
    export_json(root)
    after = exports(root)
    for rel in OUTPUT_FILES:
        assert after.get(rel) == big[1][rel], f"{rel} differs from an uninterrupted run's"
    extra = sorted(set(after) - set(big[1]))
    assert not extra, (f"killed while {directory}/{caught} was being written; after the next run "
                       f"exports/ still holds {extra} besides the output files")


@pytest.mark.slow
def test_small_kill_campaign(tmp_path: Path) -> None:
    log: list[str] = []
    campaign = run_campaign(trials=5, runs=300, seed=11, workdir=tmp_path, torn_every=2, log=log.append)
    report = "\n".join(log)
    assert campaign.failed == 0, report
    assert len(campaign.results) == 5
    assert any(r.kind.startswith("torn-") for r in campaign.results), report
    # the delays are spread over the run: most kills land before it finishes
    killed = [r for r in campaign.results if r.phase != "finished before the kill"]
    assert len(killed) >= 3, report
    assert report.splitlines()[-1] == "5 passed, 0 failed"


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, bytes]]:
    """A demo lakehouse after one uninterrupted run, and its exports."""
    root = tmp_path_factory.mktemp("torn") / "lake"
    write_demo(root, runs=200, seed=5)
    export_json(root)
    files = exports(root)
    assert set(files) == set(OUTPUT_FILES), "every output file is written by a demo run"
    for rel, data in files.items():
        assert not line_problems(rel, data)
    return root, files


def test_torn_last_lines_left_by_something_else_are_repaired(
    exported: tuple[Path, dict[str, bytes]], tmp_path: Path
) -> None:
    source, reference = exported
    root = tmp_path / "lake"
    root.mkdir()
    shutil.copytree(source / "data", root / "data")
    ref = {rel: lines_of(data) for rel, data in reference.items()}

    def cut(rel: str, n: int) -> bytes:
        """The file with its last n lines removed (complete lines only)."""
        return b"".join(x + b"\n" for x in ref[rel][:len(ref[rel]) - n])

    big = b'{"id":"rag-' + b"x" * 200_000  # a torn line longer than any read-back block
    torn_tails = {
        # a partial JSON object: the cut-off start of the first row removed
        RAG: (cut(RAG, 3), ref[RAG][-3][: len(ref[RAG][-3]) // 2]),
        # garbage bytes without a newline (invalid UTF-8, CR, a brace)
        SFT: (cut(SFT, 0), b"\xff\xfe{garbage \r"),
        # a complete JSON object without its newline: it gets its newline, nothing moves
        PREF: (cut(PREF, 2), ref[PREF][-2]),
        # the whole file is one partial line
        Q_PREF: (b"", ref[Q_PREF][0][:40]),
        # a partial JSON object after every complete line
        Q_SFT: (cut(Q_SFT, 0), b'{"id":"q-0000000000000000","exporter":"sft","reason":"sche'),
        # a torn line much longer than 64 KiB
        Q_RAG: (cut(Q_RAG, 0), big),
    }
    for rel, (kept, tail) in torn_tails.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(kept + tail)

    p = run_cli("export-all", "--root", str(root), "--recorded-at", RECORDED_AT)
    for rel in torn_tails:
        assert rel in p.stdout, f"the repair of {rel} is reported:\n{p.stdout}"

    after = exports(root)
    for rel in OUTPUT_FILES:
        # complete lines survive, the cut rows are derived again: the uninterrupted bytes
        assert after[rel] == reference[rel], rel
        assert not line_problems(rel, after[rel])
    torn_files = {rel: data for rel, data in after.items() if rel.endswith(".torn")}
    assert torn_files == {
        f"{rel}.torn": tail + b"\n" for rel, (_, tail) in torn_tails.items() if rel != PREF
    }
    assert run_cli("health", "--root", str(root), check=False).returncode == 0

    # repaired files are complete: another run writes nothing and moves nothing
    export_json(root)
    assert exports(root) == after


def test_torn_json_object_of_an_unknown_row_is_kept(
    exported: tuple[Path, dict[str, bytes]], tmp_path: Path
) -> None:
    """SPEC 3: a torn last line that is a JSON object gets its newline and stays."""
    source, reference = exported
    root = tmp_path / "lake"
    root.mkdir()
    shutil.copytree(source / "data", root / "data")
    foreign = json.dumps({"id": "rag-foreign", "note": "written by another tool \u2028"},
                         ensure_ascii=False).encode()
    (root / RAG).parent.mkdir(parents=True)
    (root / RAG).write_bytes(foreign)  # no newline
    s = export_json(root)
    data = (root / RAG).read_bytes()
    assert data.startswith(foreign + b"\n")
    assert data[len(foreign) + 1:] == reference[RAG]
    assert s["rag"]["records_exported"] == len(lines_of(reference[RAG]))
    assert not (root / (RAG + ".torn")).exists()
