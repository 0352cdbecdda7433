"""`distill-duck health` (SPEC section 11): audits the files on disk, changes nothing, exits
0 when every rule holds and 1 naming each violation."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import evidence, export_json, run_cli, scored, shared_lake, snapshot, write_partition

RAG = "exports/rag/playbooks.jsonl"
SFT = "exports/sft/instruction_response.jsonl"
PREF = "exports/preference/chosen_rejected.jsonl"
QRAG = "exports/quarantine/rag.jsonl"


def _export_clean_tree(root: Path) -> None:
    write_partition(root, "scored-runs", "2026/04/27/scrum_reviews.jsonl", [
        scored("a1", task="t"), scored("a2", task="t"), scored("r1", "rejected", task="t"), "oops",
    ])
    write_partition(root, "evidence", "2026/04/27/scrum_reviews.jsonl", [
        evidence("a1", text="first answer"), evidence("a2", text="second answer"),
        evidence("r1", text="wrong answer"),
    ])
    export_json(root)


# each test corrupts its own copy of one exported lake
_clean_tree_once, clean_tree = shared_lake("clean_tree", _export_clean_tree)


def _health(root: Path) -> tuple[int, dict]:
    p = run_cli("health", "--root", str(root), "--json", check=False)
    return p.returncode, json.loads(p.stdout)


def _first_row(root: Path, rel: str) -> dict:
    return json.loads((root / rel).read_text("utf-8").split("\n")[0])


def _append(root: Path, rel: str, data: bytes) -> None:
    with open(root / rel, "ab") as f:
        f.write(data)


def _row_line(row: dict) -> bytes:
    return (json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


def test_a_clean_tree_is_healthy_and_health_writes_nothing(clean_tree: Path) -> None:
    lakehouse = clean_tree
    before = snapshot(lakehouse)
    code, report = _health(lakehouse)
    assert code == 0 and report["ok"] is True and report["violations"] == []
    assert report["files"][RAG] == 2 and report["files"][SFT] == 2 and report["files"][PREF] == 2
    assert snapshot(lakehouse) == before
    human = run_cli("health", "--root", str(lakehouse))
    assert human.stdout.strip().endswith("healthy")


def _smuggle_rejected_sft(root: Path) -> None:
    row = _first_row(root, SFT)
    row.update(id="sft-0123456789abcdef", quality_score="rejected")
    _append(root, SFT, _row_line(row))


def _rejected_rag(root: Path) -> None:
    row = _first_row(root, RAG)
    row.update(id="rag-0123456789abcdef", success_score="rejected", source_category="rejected")
    _append(root, RAG, _row_line(row))


def _duplicate_id(root: Path) -> None:
    _append(root, RAG, _row_line(_first_row(root, RAG)))


def _self_pair(root: Path) -> None:
    row = _first_row(root, PREF)
    row.update(id="pref-0123456789abcdef", rejected_run_id=row["chosen_run_id"])
    _append(root, PREF, _row_line(row))


def _identical_texts(root: Path) -> None:
    row = _first_row(root, PREF)
    row.update(id="pref-0123456789abcdef", rejected=" " + row["chosen"] + "\u00a0")
    _append(root, PREF, _row_line(row))


def _torn(root: Path) -> None:
    _append(root, SFT, b'{"schema_version":1,"id":"sft-')


def _not_json(root: Path) -> None:
    _append(root, RAG, b"not json at all\n")


def _not_object(root: Path) -> None:
    _append(root, RAG, b"[1,2,3]\n")


def _invalid_utf8(root: Path) -> None:
    _append(root, RAG, b'{"id":"rag-\xff"}\n')


def _wrong_keys(root: Path) -> None:
    row = _first_row(root, SFT)
    row = {"id": "sft-0123456789abcdef", **{k: v for k, v in row.items() if k != "id"}}  # key order
    _append(root, SFT, _row_line(row))


def _bad_quarantine_row(root: Path) -> None:
    row = _first_row(root, QRAG)
    row.update(id="q-0123456789abcdef", reason="because", errors=[])
    _append(root, QRAG, _row_line(row))


def _empty_provenance(root: Path) -> None:
    row = _first_row(root, RAG)
    row["id"] = "rag-0123456789abcdef"
    row["provenance"]["sig_hash"] = "  "
    _append(root, RAG, _row_line(row))


CORRUPTIONS: dict[str, tuple[Callable[[Path], None], str, str]] = {
    # name: (corrupt, file, a word the violation message must contain)
    "smuggled rejected SFT row": (_smuggle_rejected_sft, SFT, "FIREWALL"),
    "rejected RAG row": (_rejected_rag, RAG, "FIREWALL"),
    "duplicate id": (_duplicate_id, RAG, "appears 2 times"),
    "self pair": (_self_pair, PREF, "with itself"),
    "identical texts after trim": (_identical_texts, PREF, "identical"),
    "torn last line": (_torn, SFT, "no newline"),
    "not JSON": (_not_json, RAG, "not JSON"),
    "not an object": (_not_object, RAG, "not a JSON object"),
    "invalid UTF-8": (_invalid_utf8, RAG, "UTF-8"),
    "keys out of order": (_wrong_keys, SFT, "keys are"),
    "malformed quarantine row": (_bad_quarantine_row, QRAG, "reason"),
    "blank provenance": (_empty_provenance, RAG, "sig_hash"),
}


@pytest.mark.parametrize("name", list(CORRUPTIONS))
def test_each_corruption_is_named_with_file_and_line(name: str, clean_tree: Path) -> None:
    lakehouse = clean_tree
    corrupt, rel, word = CORRUPTIONS[name]
    lines_before = (lakehouse / rel).read_bytes().count(b"\n")
    corrupt(lakehouse)
    before = snapshot(lakehouse)
    code, report = _health(lakehouse)
    assert code == 1 and report["ok"] is False
    hits = [v for v in report["violations"] if v["file"] == rel and word in v["message"]]
    assert hits, report["violations"]
    # the corrupt line is the one appended after the clean lines (the duplicate: both copies)
    assert any(v["line"] == lines_before for v in hits)
    assert snapshot(lakehouse) == before  # health changes nothing, not even a torn line
    human = run_cli("health", "--root", str(lakehouse), check=False)
    assert human.returncode == 1
    assert f"{rel}:{lines_before}:" in human.stdout
