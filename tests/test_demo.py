"""The demo lakehouse generator: determinism, shape, category mix and fault coverage.

The checks read the written bytes with a small independent reader that follows
SPEC section 1 (lines, BOM, CR, whitespace, strict JSON), so they test the files,
not the generator's own bookkeeping.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from distill_duck import demo
from distill_duck.demo import FAULT_KINDS, SOURCE_STEMS, write_demo

CATEGORIES = ("accepted", "partially_accepted", "rejected", "needs_human_review")
EXTRACTORS = {"distilled_facts", "audit_facts", "observer_escalations"}
JS_WS = (
    "\t\n\x0b\x0c\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000\ufeff"
)
NOT_JSON = object()  # marker for a record line that is not strict JSON


def files_of(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def strict_json(text: str) -> Any:
    if re.search(r"\\u[dD][89a-fA-F]", text):
        return NOT_JSON  # surrogate escapes; the demo writes no valid pairs, only a lone one

    def no_constants(name: str) -> Any:
        raise ValueError(name)

    try:
        return json.loads(text, parse_constant=no_constants)
    except ValueError:
        return NOT_JSON


@dataclass
class Line:
    rel: str  # partition path relative to data/<kind>/
    index: int
    raw: bytes
    value: Any  # parsed JSON, or NOT_JSON


def record_lines(data: bytes, rel: str) -> Iterator[Line]:
    """The records of a partition file, per SPEC section 1."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for i, raw in enumerate(data.split(b"\n")):
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            yield Line(rel, i, raw, NOT_JSON)
            continue
        if not text.strip(JS_WS):
            continue
        yield Line(rel, i, raw, strict_json(text))


@dataclass
class Tree:
    root: Path
    counts: dict[str, int]
    files: dict[str, bytes]
    scored: dict[str, list[Line]] = field(default_factory=dict)
    evidence: dict[str, list[Line]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        pattern = re.compile(r"^data/(scored-runs|evidence)/([^/]+/[^/]+/[^/]+/[^/]+\.jsonl)$")
        for path, data in self.files.items():
            m = pattern.match(path)
            if m:
                target = self.scored if m.group(1) == "scored-runs" else self.evidence
                target[m.group(2)] = list(record_lines(data, m.group(2)))

    def scored_objects(self) -> Iterator[tuple[str, dict[str, Any]]]:
        for rel, lines in self.scored.items():
            for line in lines:
                if isinstance(line.value, dict):
                    yield rel, line.value

    def evidence_objects(self) -> Iterator[tuple[str, dict[str, Any]]]:
        for rel, lines in self.evidence.items():
            for line in lines:
                if isinstance(line.value, dict):
                    yield rel, line.value

    def evidence_index(self) -> dict[str, dict[str, dict[str, Any]]]:
        """rel -> run_id -> record (last line wins)."""
        out: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
        for rel, ev in self.evidence_objects():
            if isinstance(ev.get("run_id"), str) and ev["run_id"]:
                out[rel][ev["run_id"]] = ev
        return out


def build(root: Path, runs: int, seed: int = 7) -> Tree:
    counts = write_demo(root, runs=runs, seed=seed)
    return Tree(root, counts, files_of(root))


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Tree:
    return build(tmp_path_factory.mktemp("small"), runs=300)


@pytest.fixture(scope="module")
def medium(tmp_path_factory: pytest.TempPathFactory) -> Tree:
    return build(tmp_path_factory.mktemp("medium"), runs=2000)


# ---------------------------------------------------------------------------
# determinism


def test_same_seed_gives_byte_identical_trees(tmp_path: Path, medium: Tree) -> None:
    again = build(tmp_path / "b", runs=2000)
    assert list(again.files) == list(medium.files)
    for path, data in medium.files.items():
        assert again.files[path] == data, path
    assert again.counts == medium.counts


def test_parallel_writer_gives_the_same_bytes(
    tmp_path: Path, medium: Tree, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(demo, "_PARALLEL_THRESHOLD", 0)
    parallel = build(tmp_path / "p", runs=2000)
    assert parallel.files == medium.files
    assert parallel.counts == medium.counts


def test_different_seed_differs(tmp_path: Path, medium: Tree) -> None:
    other = build(tmp_path / "c", runs=2000, seed=8)
    common = set(other.files) & set(medium.files)
    assert any(other.files[p] != medium.files[p] for p in common)
    assert sum(1 for p in common if other.files[p] == medium.files[p]) <= 2  # e.g. notes.json


def test_rewriting_overwrites_and_keeps_other_files(tmp_path: Path) -> None:
    keep = tmp_path / "data" / "evidence" / "keep.txt"
    keep.parent.mkdir(parents=True)
    keep.write_text("mine")
    first = write_demo(tmp_path, runs=250, seed=3)
    before = files_of(tmp_path)
    second = write_demo(tmp_path, runs=250, seed=3)
    assert files_of(tmp_path) == before
    assert first == second
    assert keep.read_text() == "mine"


@pytest.mark.parametrize("runs", [0, 1, 7, 60])
def test_tiny_sizes_work(tmp_path: Path, runs: int) -> None:
    tree = build(tmp_path, runs=runs)
    assert tree.counts["scored_files"] == len(tree.scored)


# ---------------------------------------------------------------------------
# shape


def test_layout_and_sources(medium: Tree) -> None:
    assert set(medium.scored) <= set(medium.evidence)
    stems = {rel.rsplit("/", 1)[1].removesuffix(".jsonl") for rel in medium.scored}
    assert stems == set(SOURCE_STEMS)
    for rel in medium.scored:
        assert re.fullmatch(r"2026/0[34]/\d\d/[a-z_]+\.jsonl", rel), rel
    days = {rel.rsplit("/", 1)[0] for rel in medium.scored}
    assert len(days) >= 3


def test_records_have_the_spec_fields(medium: Tree) -> None:
    ev_keys = ["run_id", "task_id", "text", "model_role", "model_name", "source_files", "retrieved_context"]
    roles: dict[str, set[str]] = defaultdict(set)
    contractor = Counter[str]()
    for rel, ev in medium.evidence_objects():
        stem = rel.rsplit("/", 1)[1].removesuffix(".jsonl")
        if list(ev)[:7] == ev_keys and isinstance(ev.get("provenance"), dict):
            prov = ev["provenance"]
            if "source_file" in prov:
                assert prov["source_file"] == f"data/_kb/{stem}.jsonl"
            assert list(ev)[-1] == "provenance"
            roles[stem].add(ev["model_role"])
            if stem == "contract_analyses":
                md = ev.get("metadata")
                contractor["with" if isinstance(md, dict) and md.get("contractor") else "without"] += 1
    for stem in SOURCE_STEMS:
        if stem in EXTRACTORS:
            assert roles[stem] == {"extractor"}, stem
        else:
            assert roles[stem] and roles[stem] <= {"executor", "reviewer", "applier"}, stem
    assert {r for s, rs in roles.items() if s not in EXTRACTORS for r in rs} == {
        "executor",
        "reviewer",
        "applier",
    }
    assert contractor["with"] > 0 and contractor["without"] > 0

    sig = re.compile(r"[0-9a-f]{64}")
    normal = 0
    for _rel, sc in medium.scored_objects():
        prov = sc.get("provenance")
        if list(sc) == ["evidence_run_id", "evidence_task_id", "category", "reasons", "provenance"] and (
            isinstance(prov, dict)
            and isinstance(prov.get("sig_hash"), str)
            and sig.fullmatch(prov["sig_hash"])
        ):
            normal += 1
            assert list(prov) == ["source_file", "line_offset", "sig_hash", "recorded_at"]
            assert re.fullmatch(r"2026-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", prov["recorded_at"])
            assert sc["evidence_task_id"].split(":", 1)[0] in {
                "scrum_review",
                "mode",
                "auto_apply",
                "phase",
                "observer_reviews",
                "permit",
                "outcomes",
                "distilled_facts",
                "audit_facts",
                "observer_escalations",
            }
    assert normal > 1900


def test_lines_are_compact_json(medium: Tree) -> None:
    checked = 0
    for lines in list(medium.scored.values()) + list(medium.evidence.values()):
        for line in lines:
            value = line.value
            if isinstance(value, dict) and b":NaN" not in line.raw:
                prov = value.get("provenance")
                if isinstance(prov, dict) and isinstance(prov.get("line_offset"), float):
                    continue  # written as 12.0 / 12e0 on purpose
                canonical = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
                assert canonical == line.raw.decode()
                checked += 1
    assert checked > 3900


def test_texts_are_realistic(medium: Tree) -> None:
    texts = [ev["text"] for _, ev in medium.evidence_objects() if isinstance(ev.get("text"), str)]
    sizes = [len(t.encode()) for t in texts if t.strip()]
    assert 1400 <= sum(sizes) / len(sizes) <= 2200
    joined = "".join(texts)
    for needle in ("é", "ü", "→", "·", "```", "## ", "- **[", "🦆"):
        assert needle in joined, needle
    assert re.search(r"[\u4e00-\u9fff]", joined)
    assert len(set(texts)) > 0.99 * len(texts)


def test_tasks_repeat_and_preference_pairs_exist(medium: Tree) -> None:
    index = medium.evidence_index()
    groups: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for rel, sc in medium.scored_objects():
        task, run = sc.get("evidence_task_id"), sc.get("evidence_run_id")
        if isinstance(task, str) and isinstance(run, str) and run in index[rel]:
            groups[task].append((rel, sc["category"], index[rel][run].get("text", "")))
    sizes = Counter(min(len(g), 7) for g in groups.values())
    assert all(sizes[n] > 0 for n in range(2, 7))
    assert any(len({rel for rel, _, _ in g}) > 1 for g in groups.values())  # spans partitions
    ar = sum(1 for g in groups.values() if {"accepted", "rejected"} <= {c for _, c, _ in g})
    ap = sum(
        1
        for g in groups.values()
        if "accepted" in {c for _, c, _ in g}
        and "partially_accepted" in {c for _, c, _ in g}
        and "rejected" not in {c for _, c, _ in g}
    )
    assert ar >= 50
    assert ap >= 20


# ---------------------------------------------------------------------------
# category mix


def test_category_mix_matches_the_report(medium: Tree) -> None:
    cats = Counter(
        sc.get("category") for _, sc in medium.scored_objects() if isinstance(sc.get("category"), str)
    )
    total = sum(cats.values())
    share = {c: cats[c] / total for c in CATEGORIES}
    assert 0.28 <= share["accepted"] <= 0.40, share
    assert 0.07 <= share["partially_accepted"] <= 0.14, share
    assert 0.04 <= share["rejected"] <= 0.10, share
    assert 0.40 <= share["needs_human_review"] <= 0.60, share


# ---------------------------------------------------------------------------
# counts


def test_counts_match_the_files(small: Tree, medium: Tree) -> None:
    for tree in (small, medium):
        counts = tree.counts
        assert counts["files"] == len(tree.files)
        assert counts["scored_files"] == len(tree.scored)
        assert counts["evidence_files"] == len(tree.evidence)
        assert counts["ignored_files"] == len(tree.files) - len(tree.scored) - len(tree.evidence)
        assert counts["scored_lines"] == sum(len(v) for v in tree.scored.values())
        assert counts["evidence_lines"] == sum(len(v) for v in tree.evidence.values())
        physical = sum(
            len(data.split(b"\n")) - (1 if data.endswith(b"\n") else 0)
            for path, data in tree.files.items()
            if path.removeprefix("data/scored-runs/") in tree.scored
            or path.removeprefix("data/evidence/") in tree.evidence
        )
        assert counts["blank_lines"] == physical - counts["scored_lines"] - counts["evidence_lines"]
        assert counts["bytes"] == sum(len(d) for d in tree.files.values())
        assert counts["faults"] == sum(counts[f"fault:{k}"] for k in FAULT_KINDS)
        assert counts["scored_lines"] >= counts["runs"]
        assert counts["faults"] < 0.25 * counts["runs"]
    assert medium.counts["faults"] < 0.03 * medium.counts["runs"]


# ---------------------------------------------------------------------------
# faults


def detect_faults(tree: Tree) -> set[str]:
    found: set[str] = set()
    scored_raw = [
        (rel, raw) for rel in tree.scored for raw in tree.files[f"data/scored-runs/{rel}"].split(b"\n")
    ]
    evidence_raw = [
        (rel, raw) for rel in tree.evidence for raw in tree.files[f"data/evidence/{rel}"].split(b"\n")
    ]

    for _rel, raw in scored_raw:
        raw = raw.removesuffix(b"\r").removeprefix(b"\xef\xbb\xbf")
        if raw == b"[1,2]":
            found.add("scored_json_array")
        if raw == b"null":
            found.add("scored_json_null")
        if raw.startswith(b"\xc2\xa0{"):
            found.add("scored_nbsp_prefix")
        if b'"\\udc00' in raw or b" \\udc00 " in raw:
            found.add("scored_lone_surrogate")
        if b":NaN" in raw:
            found.add("scored_nan")
        try:
            text = raw.decode()
        except UnicodeDecodeError:
            found.add("scored_invalid_utf8")
            continue
        if text.startswith("{") and strict_json(text) is NOT_JSON:
            try:
                json.loads(text)
            except json.JSONDecodeError as e:
                if e.msg.startswith("Extra data"):
                    found.add("scored_trailing_garbage")
                elif not text.endswith("}"):
                    found.add("scored_truncated_line")
        if re.search(r'"line_offset":\d+\.0,', text) and re.search(r'"line_offset":\d+e0,', text) is None:
            found.add("line_offset_dot0")
        if re.search(r'"line_offset":\d+e0,', text):
            found.add("line_offset_e0")

    blank_scored = {raw.removesuffix(b"\r") for _, raw in scored_raw}
    blank_evidence = {raw.removesuffix(b"\r") for _, raw in evidence_raw}
    if b"" in blank_scored and b"   " in blank_scored and "\u00a0\u3000 ".encode() in blank_scored:
        if b" \t " in blank_evidence:
            found.add("blank_lines")

    for rel in tree.scored:
        sc, ev = tree.files[f"data/scored-runs/{rel}"], tree.files[f"data/evidence/{rel}"]
        if sc.count(b"\r\n") == sc.count(b"\n") > 0 and ev.count(b"\r\n") == ev.count(b"\n") > 0:
            found.add("crlf_file")
        if sc.startswith(b"\xef\xbb\xbf{") and ev.startswith(b"\xef\xbb\xbf{"):
            found.add("bom_file")
        if sc and not sc.endswith(b"\n") and ev and not ev.endswith(b"\n"):
            found.add("no_final_newline")
    if set(tree.evidence) - set(tree.scored):
        found.add("orphan_evidence_file")
    if "data/scored-runs/2026/04/stray.jsonl" in tree.files and any(
        p.endswith("/notes.json") for p in tree.files
    ):
        found.add("ignored_files")

    index = tree.evidence_index()
    all_evidence_bytes = b"".join(tree.files[f"data/evidence/{rel}"] for rel in tree.evidence)
    seen: Counter[tuple[str, Any, Any]] = Counter()
    by_task: dict[str, list[tuple[str, dict[str, Any]]]] = defaultdict(list)
    for rel, sc in tree.scored_objects():
        prov = sc.get("provenance", "absent")
        if "provenance" not in sc:
            found.add("scored_missing_provenance")
        elif not isinstance(prov, dict):
            found.add("scored_provenance_not_object")
        else:
            if "sig_hash" not in prov:
                found.add("scored_missing_sig_hash")
            elif prov["sig_hash"] == "":
                found.add("scored_empty_sig_hash")
            offset = prov.get("line_offset")
            if isinstance(offset, str):
                found.add("scored_line_offset_string")
            if isinstance(offset, float):
                found.add("scored_line_offset_float")
            if isinstance(offset, int) and offset < 0:
                found.add("scored_line_offset_negative")
            if isinstance(offset, int) and offset >= 2**63:
                found.add("scored_line_offset_huge")
        if "evidence_run_id" not in sc:
            found.add("scored_missing_evidence_run_id")
        if "evidence_task_id" not in sc:
            found.add("scored_missing_task_id")
        if isinstance(sc.get("category"), str) and sc["category"] not in CATEGORIES:
            found.add("scored_bad_category")
        reasons = sc.get("reasons")
        if isinstance(reasons, str):
            found.add("scored_reasons_string")
        if isinstance(reasons, list) and any(not isinstance(r, str) for r in reasons):
            found.add("scored_reasons_mixed_types")
        run = sc.get("evidence_run_id")
        if isinstance(run, str):
            if run.split(":")[1].encode() not in all_evidence_bytes:  # its timestamp: in no line at all
                found.add("scored_unknown_run_id")
            elif run not in index[rel] and any(run in index[r] for r in index if r != rel):
                found.add("scored_evidence_in_other_partition")
            seen[(rel, run, prov.get("sig_hash") if isinstance(prov, dict) else None)] += 1
            if isinstance(sc.get("evidence_task_id"), str) and run in index[rel]:
                by_task[sc["evidence_task_id"]].append((run, sc))
    if any(n > 1 for n in seen.values()):
        found.add("scored_duplicate_line")

    for task_records in by_task.values():
        accepted = [(run, sc) for run, sc in task_records if sc["category"] == "accepted"]
        rejected = [(run, sc) for run, sc in task_records if sc["category"] == "rejected"]
        if {r for r, _ in accepted} & {r for r, _ in rejected}:
            found.add("preference_self_pairing")
        for a, _ in accepted:
            for r, _ in rejected:
                if a != r and index_text(index, a) and index_text(index, a) == index_text(index, r):
                    found.add("preference_identical_texts")

    for rel, lines in tree.evidence.items():
        runs: Counter[str] = Counter()
        last_text: dict[str, Any] = {}
        once = Counter(ev.get("run_id") for ev in (line.value for line in lines) if isinstance(ev, dict))
        for line in lines:
            ev = line.value
            if ev is NOT_JSON:
                if rel in tree.scored:
                    found.add("evidence_not_json")
                continue
            if not isinstance(ev, dict):
                found.add("evidence_not_object")
                continue
            if "run_id" not in ev:
                found.add("evidence_missing_run_id")
            elif not isinstance(ev["run_id"], str):
                found.add("evidence_run_id_wrong_type")
            else:
                runs[ev["run_id"]] += 1
                last_text[ev["run_id"]] = ev.get("text")
            text = ev.get("text", None)
            if "text" not in ev:
                found.add("evidence_missing_text")
            elif text == "" and once[ev.get("run_id")] == 1:
                found.add("evidence_empty_text")
            elif isinstance(text, str) and text and not text.strip(JS_WS):
                found.add("evidence_whitespace_text")
            prov = ev.get("provenance")
            if isinstance(prov, dict) and "source_file" not in prov:
                found.add("evidence_missing_source_file")
            ctx = ev.get("retrieved_context")
            files = ev.get("source_files")
            if (isinstance(ctx, dict) and isinstance(ctx.get("pathway_fingerprints_seen"), str | float)) or (
                isinstance(files, str)
                or (isinstance(files, list) and any(not isinstance(f, str) for f in files))
            ):
                found.add("evidence_wrong_types")
        if any(n > 1 and last_text[run] for run, n in runs.items()):
            found.add("evidence_duplicate_run_id")
    return found


def index_text(index: dict[str, dict[str, dict[str, Any]]], run: str) -> str:
    for records in index.values():
        if run in records:
            text = records[run].get("text")
            return text.strip(JS_WS) if isinstance(text, str) else ""
    return ""


def test_fault_kinds_are_known() -> None:
    assert len(set(FAULT_KINDS)) == len(FAULT_KINDS)
    assert {"crlf_file", "bom_file", "no_final_newline", "orphan_evidence_file", "ignored_files"} <= set(
        FAULT_KINDS
    )


@pytest.mark.parametrize("fixture", ["small", "medium"])
def test_every_fault_kind_is_present_in_the_bytes(fixture: str, request: pytest.FixtureRequest) -> None:
    tree: Tree = request.getfixturevalue(fixture)
    found = detect_faults(tree)
    expected = set(FAULT_KINDS)
    assert "scored_line_offset_float" in found and {"line_offset_dot0", "line_offset_e0"} <= found
    assert expected - found == set()
    assert all(tree.counts[f"fault:{kind}"] >= 1 for kind in FAULT_KINDS)


def test_faults_scale_with_runs(tmp_path: Path) -> None:
    counts = write_demo(tmp_path, runs=40_000)
    record_kinds = [k for k in FAULT_KINDS if k.startswith(("scored_", "evidence_", "preference_"))]
    assert all(counts[f"fault:{kind}"] == 2 for kind in record_kinds)
    assert counts["faults"] < 0.005 * counts["runs"]


def test_ignored_files_are_outside_discovery(small: Tree) -> None:
    ignored = [p for p in small.files if p.removeprefix("data/scored-runs/") not in small.scored]
    ignored = [p for p in ignored if p.removeprefix("data/evidence/") not in small.evidence]
    assert "data/scored-runs/2026/04/stray.jsonl" in ignored
    assert any(p.endswith("/notes.json") for p in ignored)
    assert len(ignored) == small.counts["ignored_files"]
