"""One writer per root (README "One writer"): a second run while one is running is refused at
once, naming the lock and the holder's pid, and a lock left by a killed run does not block the
next one."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from distill_duck.demo import write_demo
from tests.conftest import RECORDED_AT

# slow: runs in concurrent processes holding the lock
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not Path("/proc/locks").exists(), reason="needs Linux /proc/locks")]

LOCK = ".distill_duck/lock"
EXPORT = ("export-all", "--recorded-at", RECORDED_AT, "--json")


def run_cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "distill_duck", *args], capture_output=True, text=True,
                          timeout=timeout)


def outputs(root: Path) -> dict[str, bytes]:
    """Everything a run writes: exports, reports, the warehouse."""
    found = {}
    for top in ("exports", "reports"):
        for p in sorted((root / top).rglob("*")) if (root / top).is_dir() else []:
            if p.is_file():
                found[p.relative_to(root).as_posix()] = p.read_bytes()
    if (root / "warehouse.duckdb").exists():
        found["warehouse.duckdb"] = (root / "warehouse.duckdb").read_bytes()
    return found


def exports(root: Path) -> dict[str, bytes]:
    return {k: v for k, v in outputs(root).items() if k.startswith("exports/")}


def flock_holders(path: Path) -> set[int]:
    """Pids holding an flock on ``path``, read from /proc/locks (no lock is taken to look)."""
    try:
        ino = os.stat(path).st_ino
    except FileNotFoundError:
        return set()
    holders = set()
    for line in Path("/proc/locks").read_text().splitlines():
        fields = line.split()
        # "1: FLOCK  ADVISORY  WRITE 12345 fe:00:2262173 0 EOF" (blocked waiters have "->")
        if len(fields) >= 6 and fields[1] == "FLOCK" and fields[5].rsplit(":", 1)[-1] == str(ino):
            holders.add(int(fields[4]))
    return holders


def start_export(root: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "distill_duck", *EXPORT, "--root", str(root)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_lock(proc: subprocess.Popen[str], root: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while proc.pid not in flock_holders(root / LOCK):
        if proc.poll() is not None:
            pytest.fail(f"the run finished (exit {proc.returncode}) before it was seen holding {LOCK}")
        if time.monotonic() > deadline:
            pytest.fail(f"the run did not take {LOCK} within {timeout}s")
        time.sleep(0.002)
    # let it record itself as the holder (the refusal names it) before going on
    settle = time.monotonic() + 2
    while str(proc.pid) not in (root / LOCK).read_text("utf-8", "replace") and time.monotonic() < settle:
        time.sleep(0.002)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, bytes]]:
    """Demo inputs, and the exports of one uninterrupted run on them."""
    base = tmp_path_factory.mktemp("concurrency")
    write_demo(base / "inputs", runs=400, seed=3)
    ref = base / "reference"
    shutil.copytree(base / "inputs", ref)
    assert run_cli(*EXPORT, "--root", str(ref)).returncode == 0
    return base / "inputs", exports(ref)


@pytest.fixture
def root(demo: tuple[Path, dict[str, bytes]], tmp_path: Path) -> Path:
    target = tmp_path / "lake"
    shutil.copytree(demo[0], target)
    return target


@pytest.fixture
def reaper() -> Iterator[list[subprocess.Popen[str]]]:
    """Processes a test starts; whatever is left is continued and killed at the end."""
    procs: list[subprocess.Popen[str]] = []
    yield procs
    for p in procs:
        if p.poll() is None:
            os.kill(p.pid, signal.SIGCONT)
            p.kill()
            p.wait()


def assert_refused(p: subprocess.CompletedProcess[str], holder: int | None) -> None:
    assert p.returncode == 3, (p.returncode, p.stdout, p.stderr)  # SPEC 11: the machine could not
    assert p.stdout == ""
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1, f"one line, no traceback: {p.stderr!r}"
    assert LOCK in lines[0], lines[0]
    if holder is not None:
        assert str(holder) in lines[0], f"names the holder's pid {holder}: {lines[0]}"


def test_second_run_is_refused_at_once_and_the_first_completes(
    root: Path, demo: tuple[Path, dict[str, bytes]], reaper: list[subprocess.Popen[str]]
) -> None:
    first = start_export(root)
    reaper.append(first)
    wait_for_lock(first, root)
    # freeze the first run while it holds the lock: a second run that waited for the lock
    # would now wait forever, so finishing at all proves it was refused at once
    os.kill(first.pid, signal.SIGSTOP)
    try:
        assert first.pid in flock_holders(root / LOCK), "the first run still holds the lock"
        during = outputs(root)
        started = time.monotonic()
        try:
            second = run_cli(*EXPORT, "--root", str(root), timeout=60)
        except subprocess.TimeoutExpired:
            pytest.fail("the second run waited for the lock instead of failing at once")
        elapsed = time.monotonic() - started
        assert_refused(second, first.pid)
        assert elapsed < 30
        assert outputs(root) == during, "the refused run changed nothing"
        # a single exporter is refused the same way
        assert_refused(run_cli("export-sft", "--root", str(root), timeout=60), first.pid)
    finally:
        os.kill(first.pid, signal.SIGCONT)
    out, err = first.communicate(timeout=300)
    assert first.returncode == 0, err
    summary = json.loads(out)
    assert set(summary) == {"rag", "sft", "preference"}
    assert exports(root) == demo[1], "the first run wrote what an uninterrupted run writes"


def test_lock_of_a_killed_run_does_not_block_the_next(
    root: Path, demo: tuple[Path, dict[str, bytes]], reaper: list[subprocess.Popen[str]]
) -> None:
    first = start_export(root)
    reaper.append(first)
    wait_for_lock(first, root)
    first.send_signal(signal.SIGKILL)
    first.wait()
    assert flock_holders(root / LOCK) == set(), "the kernel released the flock"
    p = run_cli(*EXPORT, "--root", str(root), timeout=300)
    assert p.returncode == 0, p.stderr
    assert exports(root) == demo[1]


def test_stale_lock_file_without_a_holder_does_not_block(
    root: Path, demo: tuple[Path, dict[str, bytes]]
) -> None:
    # a lock file naming a live process (pid 1) that holds no flock on it
    (root / LOCK).parent.mkdir(parents=True)
    (root / LOCK).write_text("1\n")
    p = run_cli(*EXPORT, "--root", str(root), timeout=300)
    assert p.returncode == 0, p.stderr
    assert exports(root) == demo[1]


def test_a_writer_holding_the_lock_blocks_every_writing_command(root: Path) -> None:
    """The test process plays a running writer: it holds the flock and records its pid."""
    path = root / LOCK
    path.parent.mkdir(parents=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        before = outputs(root)
        for command in ("export-all", "export-rag", "export-preference", "run"):
            p = run_cli(command, "--root", str(root), timeout=60)
            assert_refused(p, os.getpid())
        assert outputs(root) == before == {}
        # README "One writer": a dry run reads only and takes no lock
        dry = run_cli(*EXPORT, "--dry-run", "--root", str(root))
        assert dry.returncode == 0, dry.stderr
        assert outputs(root) == {}
    finally:
        os.close(fd)
    # released: the next run goes ahead
    assert run_cli(*EXPORT, "--root", str(root)).returncode == 0
