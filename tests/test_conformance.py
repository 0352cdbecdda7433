"""The shared conformance cases (tests/conformance, copied from shared/conformance), run
end to end through the CLI. Each case pins expected summaries and exact output bytes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import run_cli, snapshot

CASES = Path(__file__).parent / "conformance"
DATASETS = ["rag/playbooks.jsonl", "sft/instruction_response.jsonl", "preference/chosen_rejected.jsonl"]
QUARANTINE = ["quarantine/rag.jsonl", "quarantine/sft.jsonl", "quarantine/preference.jsonl"]


def _bytes(p: Path) -> bytes:
    return p.read_bytes() if p.is_file() else b""


def _rows_without_errors(p: Path) -> list[str]:
    rows = []
    for line in _bytes(p).decode("utf-8").split("\n"):
        if line:
            r = json.loads(line)
            r.pop("errors", None)
            rows.append(json.dumps(r, sort_keys=True, ensure_ascii=False))
    return sorted(rows)


@pytest.mark.parametrize("case", sorted(p.name for p in CASES.iterdir() if (p / "case.json").is_file()))
def test_conformance_case(case: str, tmp_path: Path) -> None:
    spec = json.loads((CASES / case / "case.json").read_text())
    root = tmp_path / "root"
    shutil.copytree(CASES / case / "input", root)
    # a flag may name {root}: files the case ships, such as a repository manifest
    flags = [f.replace("{root}", str(root)) for f in spec["flags"]]
    args = ["export-all", "--root", str(root), *flags, "--json"]

    got = json.loads(run_cli(*args).stdout)
    for exporter, want in spec["summary"].items():
        for key, value in want.items():
            if key not in ("output_path", "dry_run"):
                assert got[exporter][key] == value, f"{exporter}.{key}"

    exp, out = CASES / case / "expected", root / "exports"
    for d in DATASETS:
        assert _bytes(out / d) == _bytes(exp / d), d
    for q in QUARANTINE:
        assert _rows_without_errors(out / q) == _rows_without_errors(exp / q), q
        for row in map(json.loads, filter(None, _bytes(out / q).decode().split("\n"))):
            assert "reason" not in row or row["errors"], "a quarantine row must say why"
    torn = {p.relative_to(exp) for p in exp.rglob("*.torn")}
    torn |= {p.relative_to(out) for p in out.rglob("*.torn")}
    for t in torn:
        assert _bytes(out / t) == _bytes(exp / t), t

    # a second run changes nothing and exports nothing
    before = snapshot(out)
    again = json.loads(run_cli(*args).stdout)
    assert snapshot(out) == before
    for exporter in ("rag", "sft", "preference"):
        assert again[exporter]["records_exported"] == 0
        if exporter != "preference":
            s = again[exporter]
            assert s["skipped_existing"] + s["records_quarantined"] == s["records_read"]
