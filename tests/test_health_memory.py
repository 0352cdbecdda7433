"""`health` streams the files it audits: its memory does not grow with the exports, so it
stays within the bound export-all keeps (BENCHMARKS.md measures 200k runs)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from bench.peak_rss import measure
from distill_duck.demo import write_demo
from tests.conftest import RECORDED_AT


def _peak_rss_mb(args: list[str], env: dict[str, str]) -> tuple[int, float, str]:
    """Exit code, peak RSS (MiB) and stdout of one child process (bench/peak_rss.py says
    why the test's own memory must not count)."""
    done, rss, _written = measure([sys.executable, "-m", "distill_duck", *args], env=env)
    return done.returncode, rss, done.stdout + done.stderr


@pytest.mark.slow
def test_health_audits_exports_larger_than_its_memory_limit(tmp_path: Path) -> None:
    root = tmp_path / "lake"
    write_demo(root, runs=20_000, seed=5)
    env = {k: v for k, v in os.environ.items() if k != "DISTILL_DUCK_MEMORY_LIMIT"}
    code, _, out = _peak_rss_mb(["export-all", "--root", str(root), "--recorded-at", RECORDED_AT,
                                 "--json"], env)
    assert code == 0, out
    exports = sum(p.stat().st_size for p in (root / "exports").rglob("*.jsonl"))
    assert exports > 60_000_000  # (before streaming, health needed more than 500MB for these)
    tight = {**env, "DISTILL_DUCK_MEMORY_LIMIT": "500MB"}
    code, rss, out = _peak_rss_mb(["health", "--root", str(root)], tight)
    assert code == 0 and out.strip().endswith("healthy"), out
    assert rss < 700, f"health peaked at {rss} MB"


def test_files_that_cannot_be_streamed_are_split_exactly(tmp_path: Path) -> None:
    from distill_duck.health import STREAMED_LINE_BYTES, audit, file_shape
    from tests.conftest import evidence, export_json, scored, write_partition

    root = tmp_path / "lake"
    write_partition(root, "scored-runs", "2026/04/27/a.jsonl", [scored("a1"), scored("a2")])
    write_partition(root, "evidence", "2026/04/27/a.jsonl", [evidence("a1"), evidence("a2")])
    export_json(root)
    rag, sft = root / "exports/rag/playbooks.jsonl", root / "exports/sft/instruction_response.jsonl"
    first_rag, first_sft = rag.read_bytes().split(b"\n")[0], sft.read_bytes().split(b"\n")[0]
    assert file_shape(rag).streamable
    # a line too long to stream, then a repeated row; a CRLF line; both must keep their numbers
    rag.write_bytes(first_rag + b"\n" + b"x" * (STREAMED_LINE_BYTES + 10) + b"\n" + first_rag + b"\n")
    sft.write_bytes(first_sft + b"\r\n\n" + first_sft)
    assert not file_shape(rag).streamable and not file_shape(sft).streamable
    found = {(v["file"], v["line"], v["check"], v["message"][:20]) for v in audit(root).violations}
    assert found == {
        ("exports/rag/playbooks.jsonl", 1, "line", "not JSON"),
        ("exports/rag/playbooks.jsonl", 0, "unique_id", "id " + found_id(first_rag)[:17]),
        ("exports/rag/playbooks.jsonl", 2, "unique_id", "id " + found_id(first_rag)[:17]),
        ("exports/sft/instruction_response.jsonl", 1, "line", "blank line"),
        ("exports/sft/instruction_response.jsonl", 0, "unique_id", "id " + found_id(first_sft)[:17]),
        ("exports/sft/instruction_response.jsonl", 2, "unique_id", "id " + found_id(first_sft)[:17]),
        ("exports/sft/instruction_response.jsonl", 2, "torn", "last line has no new"),
        # the repeated rows repeat a text too (SPEC 12.6)
        ("exports/rag/playbooks.jsonl", 2, "duplicate_content", "same content as rag-"),
        ("exports/sft/instruction_response.jsonl", 2, "duplicate_content", "same content as sft-"),
    }


def found_id(line: bytes) -> str:
    import json

    return str(json.loads(line)["id"])


@pytest.mark.parametrize(("limit", "suggested"),
                         [("1.4 GiB", "3GB"), ("3.7 GiB", "8GB"), ("286.1 MiB", "1GB")])
def test_the_out_of_memory_message_suggests_more_than_the_limit(limit: str, suggested: str) -> None:
    from distill_duck.runner import _twice

    assert _twice(limit) == suggested
