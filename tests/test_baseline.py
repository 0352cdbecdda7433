"""bench/baseline.py, the per-line Python yardstick of the benchmarks, writes what the
conformance cases of SPEC sections 1-11 expect: the datasets byte for byte, the quarantine
rows as JSON values (errors and row order aside), the torn lines byte for byte, and the
summary's counts."""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
CASES = HERE / "conformance"
BASELINE = HERE.parent / "bench" / "baseline.py"
NO_GATE_CASES = ["gates", "gates-opt-in", "preference", "preference-cap2", "format", "messy-lines",
                 "generated-small"]
DATASETS = ["rag/playbooks.jsonl", "sft/instruction_response.jsonl", "preference/chosen_rejected.jsonl"]
QUARANTINES = ["quarantine/rag.jsonl", "quarantine/sft.jsonl", "quarantine/preference.jsonl"]


def load_baseline():
    spec = importlib.util.spec_from_file_location("bench_baseline", BASELINE)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def baseline_argv(root: Path, flags: list[str]) -> list[str]:
    """The case's export-all flags as the baseline's (it has no safety gates to turn off)."""
    argv = [str(root)]
    it = iter(flags)
    for flag in it:
        if flag in ("--recorded-at", "--max-pairs-per-task"):
            argv += [flag, next(it)]
        elif flag in ("--include-review", "--include-partial"):
            argv.append(flag)
        else:
            assert flag == "--no-safety-gates", f"flag {flag} has no baseline equivalent"
    return argv


def read_bytes(path: Path) -> bytes:
    return path.read_bytes() if path.is_file() else b""


def quarantine_rows(path: Path) -> list[str]:
    rows = []
    for line in read_bytes(path).decode("utf-8").split("\n")[:-1]:
        row = json.loads(line)
        row.pop("errors", None)
        rows.append(json.dumps(row, sort_keys=True))
    return sorted(rows)


@pytest.mark.parametrize("case", NO_GATE_CASES)
def test_baseline_matches_conformance_case(case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    folder = CASES / case
    spec = json.loads((folder / "case.json").read_text(encoding="utf-8"))
    root = tmp_path / "root"
    shutil.copytree(folder / "input", root)

    assert load_baseline().main(baseline_argv(root, spec["flags"])) == 0

    exports, expected = root / "exports", folder / "expected"
    for rel in DATASETS:
        assert read_bytes(exports / rel) == read_bytes(expected / rel), rel
    for rel in QUARANTINES:
        assert quarantine_rows(exports / rel) == quarantine_rows(expected / rel), rel
    torn = {p.relative_to(expected).as_posix() for p in expected.rglob("*.torn")}
    assert {p.relative_to(exports).as_posix() for p in exports.rglob("*.torn")} == torn
    for rel in torn:
        assert read_bytes(exports / rel) == read_bytes(expected / rel), rel

    # the counts it prints are the CLI's, for the keys both have
    summary = json.loads(capsys.readouterr().out)
    for exporter, want in spec["summary"].items():
        got = summary[exporter]
        assert {k: got[k] for k in want if k in got} == {k: v for k, v in want.items() if k in got}, exporter

    # run again: nothing under exports/ changes, nothing is exported
    before = {p: p.read_bytes() for p in exports.rglob("*") if p.is_file()}
    assert load_baseline().main(baseline_argv(root, spec["flags"])) == 0
    assert {p: p.read_bytes() for p in exports.rglob("*") if p.is_file()} == before
    again = json.loads(capsys.readouterr().out)
    for exporter in ("rag", "sft"):
        counts = again[exporter]
        assert counts["records_exported"] == 0
        assert counts["skipped_existing"] + counts["records_quarantined"] == counts["records_read"]
    assert again["preference"]["records_exported"] == 0
