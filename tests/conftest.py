"""Shared helpers: build small lakehouses on disk and run the real CLI against them."""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

RECORDED_AT = "2026-04-27T03:57:40.123Z"

# Property tests run the real CLI once or twice per example, so their example counts are
# budgets: by default enough to hit each kind of fault they generate in seconds; CI runs
# `HYPOTHESIS_PROFILE=ci` (set by .ci/run), four times as many and prints a reproduction
# blob on failure.
settings.register_profile("ci", print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
EXAMPLE_FACTOR = 4 if os.environ.get("HYPOTHESIS_PROFILE") == "ci" else 1


def examples(n: int) -> int:
    """The number of examples for a property test whose default budget is n."""
    return n * EXAMPLE_FACTOR



def run_cli(
    *args: str, check: bool = True, env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `distill-duck ARGS` in this process, as `main` is called by the installed command.

    `env` replaces the whole environment and `cwd` the working directory for the call, as a
    subprocess's would; both are restored afterwards. Starting Python and importing DuckDB
    costs over a second per call, which is most of what a small test does, so only tests
    about processes (crashes, locks, memory, signals) use `run_cli_process`.
    """
    from distill_duck.cli import main

    out, err = io.StringIO(), io.StringIO()
    saved_env, saved_cwd = dict(os.environ), os.getcwd()
    try:
        if env is not None:
            os.environ.clear()
            os.environ.update(env)
        if cwd is not None:
            os.chdir(cwd)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as e:  # argparse's --help and --version
                code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    finally:
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
    p = subprocess.CompletedProcess(["distill-duck", *args], code, out.getvalue(), err.getvalue())
    if check and p.returncode != 0:
        raise AssertionError(f"distill-duck {' '.join(args)} exited {p.returncode}: {p.stderr}")
    return p


def run_cli_process(
    *args: str, check: bool = True, env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `python -m distill_duck ARGS` in a subprocess: for tests about the process itself."""
    p = subprocess.run([sys.executable, "-m", "distill_duck", *args], capture_output=True, text=True,
                       env=None if env is None else dict(env), cwd=cwd)
    if check and p.returncode != 0:
        raise AssertionError(f"distill-duck {' '.join(args)} exited {p.returncode}: {p.stderr}")
    return p


def export_json(root: Path, command: str = "export-all", *flags: str, gates: bool = False) -> dict[str, Any]:
    """One export run's --json summary. Tests of SPEC sections 1-11 run without the safety
    gates of section 12 (as the conformance cases of those sections do); the gates' own
    tests pass gates=True."""
    off = () if gates or "--no-safety-gates" in flags else ("--no-safety-gates",)
    p = run_cli(command, "--root", str(root), "--recorded-at", RECORDED_AT, *flags, *off, "--json")
    return json.loads(p.stdout)


def _line(x: Any) -> bytes:
    if isinstance(x, bytes):
        return x
    if isinstance(x, str):
        return x.encode("utf-8")
    return json.dumps(x, ensure_ascii=False).encode("utf-8")


def write_partition(root: Path, kind: str, rel: str, lines: Iterable[Any], newline: bytes = b"\n") -> Path:
    """Write data/<kind>/<rel> with one line per item (dicts become JSON, bytes stay raw)."""
    path = root / "data" / kind / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"".join(_line(x) + newline for x in lines))
    return path


def scored(run_id: str, category: str = "accepted", task: str | None = None, sig: str | None = None,
           **extra: Any) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "evidence_run_id": run_id,
        "evidence_task_id": task or f"scrum_review:{run_id}",
        "category": category,
        "reasons": [f"reason for {run_id}"],
        "provenance": {"source_file": "data/_kb/scrum_reviews.jsonl", "line_offset": 0,
                       "sig_hash": sig or f"sig-{run_id}", "recorded_at": "2026-04-26T10:00:00Z"},
    }
    rec.update(extra)
    return rec


def evidence(run_id: str, text: str = "# Finding\nbody", role: str = "executor",
             source: str = "scrum_reviews", **extra: Any) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "run_id": run_id,
        "task_id": f"scrum_review:{run_id}",
        "text": text,
        "model_role": role,
        "model_name": "qwen2.5-coder:32b",
        "source_files": [f"crates/{run_id}.rs"],
        "retrieved_context": {"matrix_corpora": ["lakehouse_arch_v1"], "pathway_fingerprints_seen": 3},
        "provenance": {"source_file": f"data/_kb/{source}.jsonl", "line_offset": 1,
                       "sig_hash": f"e-{run_id}", "recorded_at": "2026-04-26T09:00:00Z"},
    }
    rec.update(extra)
    return rec


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    # split on \n only: str.splitlines would also split inside rows at U+2028 and friends
    return [json.loads(line) for line in path.read_text("utf-8").split("\n") if line]


def output_lines(root: Path, rel: str) -> list[str]:
    """The lines of an output file, checking that it ends with a newline (or is empty)."""
    p = root / rel
    if not p.exists():
        return []
    data = p.read_bytes().decode("utf-8")
    assert data == "" or data.endswith("\n")
    return data.split("\n")[:-1]


def output_rows(root: Path, rel: str) -> list[dict[str, Any]]:
    return [json.loads(x) for x in output_lines(root, rel)]


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def shared_lake(name: str, build: Callable[[Path], None]) -> tuple[Any, Any]:
    """Two fixtures: ``name`` gives each test its own copy of one lakehouse that ``build``
    writes (and exports) once per test module; for tests that each need an exported lake to
    look at or to change, without paying an export each. Assign both in the test module."""
    @pytest.fixture(scope="module", name=f"_{name}_once")
    def once(tmp_path_factory: pytest.TempPathFactory) -> Path:
        root = tmp_path_factory.mktemp(name) / "lake"
        root.mkdir()
        build(root)
        return root

    @pytest.fixture(name=name)
    def copy(request: pytest.FixtureRequest, lakehouse: Path) -> Path:
        shutil.copytree(request.getfixturevalue(f"_{name}_once"), lakehouse, dirs_exist_ok=True)
        return lakehouse

    return once, copy


@pytest.fixture
def lakehouse(tmp_path: Path) -> Path:
    root = tmp_path / "lake"
    root.mkdir()
    return root
