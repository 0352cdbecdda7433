"""Property tests of the contamination firewall (SPEC intro, 3, 4, 5, 6): whatever the mix of
categories, flags, provenance, texts and roles, nothing forbidden reaches a training file, and
every record is accounted for. Each example runs the real CLI once or twice (~1 s), so
examples are few by default and more in CI (tests.conftest.examples)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import evidence, examples, export_json, scored, snapshot, write_partition

REL = "2026/04/27/mix.jsonl"
RAG_OUT = "exports/rag/playbooks.jsonl"
SFT_OUT = "exports/sft/instruction_response.jsonl"
PREF_OUT = "exports/preference/chosen_rejected.jsonl"
JS_WHITESPACE = ("\t\n\x0b\x0c\r \u00a0\u1680" + "".join(chr(c) for c in range(0x2000, 0x200B))
                 + "\u2028\u2029\u202f\u205f\u3000\ufeff")
MISSING = object()
CATEGORIES: list[Any] = ["accepted", "partially_accepted", "rejected", "needs_human_review",
                         "Accepted", "", MISSING, 5]
SFT_ROLES = {"executor", "reviewer", "applier"}

RECORD = st.fixed_dictionaries({
    "garbage": st.sampled_from([False] * 7 + [True]),
    "category": st.sampled_from(CATEGORIES),
    "provenance": st.sampled_from(["full", "full", "full", "none", "no_sig", "no_source"]),
    "run_id": st.sampled_from([True] * 6 + [False]),
    "evidence": st.sampled_from([True] * 5 + [False]),
    "text": st.sampled_from(["normal", "normal", "multiline", "", "whitespace", MISSING]),
    "role": st.sampled_from(["executor", "reviewer", "applier", "extractor", "", MISSING]),
    "task": st.sampled_from(["T1", "T2"]),
})
SETTINGS = settings(max_examples=examples(12), deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])


def js_trim(s: str) -> str:
    return s.strip(JS_WHITESPACE)


def lines(root: Path, rel: str) -> list[str]:
    p = root / rel
    if not p.exists():
        return []
    data = p.read_bytes().decode("utf-8")
    assert data == "" or data.endswith("\n"), f"{rel}: every line ends with \\n"
    return data.split("\n")[:-1]


def rows(root: Path, rel: str) -> list[dict[str, Any]]:
    return [json.loads(x) for x in lines(root, rel)]


def build(root: Path, specs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Write the lakehouse; return one model per scored line (what the oracle needs)."""
    scored_lines: list[Any] = []
    evidence_lines: list[Any] = []
    model: list[dict[str, Any]] = []
    for i, spec in enumerate(specs):
        run_id = f"run{i}"
        if spec["garbage"]:
            scored_lines.append("{not json " + run_id)
            model.append({"garbage": True})
            continue
        rec = scored(run_id, "accepted", task=spec["task"])
        if spec["category"] is MISSING:
            del rec["category"]
        else:
            rec["category"] = spec["category"]
        if spec["provenance"] == "none":
            del rec["provenance"]
        elif spec["provenance"] == "no_sig":
            del rec["provenance"]["sig_hash"]
        elif spec["provenance"] == "no_source":
            del rec["provenance"]["source_file"]
        if not spec["run_id"]:
            del rec["evidence_run_id"]
        scored_lines.append(rec)

        text = {"normal": f"answer {i}", "multiline": f"\n  line {i}\nmore", "": "",
                "whitespace": " \u00a0\u3000\n\t"}.get(spec["text"]) if spec["text"] is not MISSING else None
        if spec["evidence"]:
            ev = evidence(run_id, text=text or "")
            if text is None:
                del ev["text"]
            if spec["role"] is MISSING:
                del ev["model_role"]
            else:
                ev["model_role"] = spec["role"]
            evidence_lines.append(ev)
        model.append({
            "garbage": False, "run_id": run_id if spec["run_id"] else None,
            "category": rec.get("category"), "prov_full": spec["provenance"] == "full",
            "has_sig": spec["provenance"] in ("full", "no_source"),
            "evidence": spec["evidence"], "text": text, "role": spec["role"], "task": spec["task"],
        })
    write_partition(root, "scored-runs", REL, scored_lines)
    write_partition(root, "evidence", REL, evidence_lines)
    return model


def has_content(text: str | None) -> bool:
    return isinstance(text, str) and js_trim(text) != ""


def expected_rag(model: list[dict[str, Any]], include_review: bool) -> list[str]:
    allowed = {"accepted", "partially_accepted"} | ({"needs_human_review"} if include_review else set())
    return [m["run_id"] for m in model if not m["garbage"] and m["prov_full"] and m["run_id"]
            and m["category"] in allowed and m["evidence"] and has_content(m["text"])]


def expected_sft(model: list[dict[str, Any]], include_partial: bool) -> list[str]:
    allowed = {"accepted"} | ({"partially_accepted"} if include_partial else set())
    return [m["run_id"] for m in model if not m["garbage"] and m["prov_full"] and m["run_id"]
            and m["category"] in allowed and m["evidence"] and m["role"] in SFT_ROLES
            and has_content(m["text"])]


def expected_pairs(model: list[dict[str, Any]], cap: int = 5) -> list[tuple[str, str]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for m in model:
        if not m["garbage"] and m["prov_full"] and m["run_id"] and m["evidence"]:
            groups.setdefault(m["task"], []).append(m)
    out = []
    for members in groups.values():
        by = {c: [m for m in members if m["category"] == c]
              for c in ("accepted", "rejected", "partially_accepted")}
        other = by["rejected"] or by["partially_accepted"]
        candidates = [(a, o) for a in by["accepted"] for o in other][:cap]
        for a, o in candidates:
            ta, to = js_trim(a["text"] or ""), js_trim(o["text"] or "")
            if ta and to and ta != to:
                out.append((a["run_id"], o["run_id"]))
    return out


def check_firewall(root: Path, model: list[dict[str, Any]], summary: dict[str, Any],
                   include_review: bool, include_partial: bool) -> None:
    by_run = {m["run_id"]: m for m in model if not m["garbage"] and m["run_id"]}
    rag, sft, pref = rows(root, RAG_OUT), rows(root, SFT_OUT), rows(root, PREF_OUT)

    # the SFT firewall
    sft_allowed = {"accepted"} | ({"partially_accepted"} if include_partial else set())
    for row in sft:
        assert row["quality_score"] in sft_allowed
        assert row["quality_score"] not in ("rejected", "needs_human_review")
        source = by_run[row["source_run_id"]]
        assert source["category"] == row["quality_score"] and source["category"] in sft_allowed
        assert source["prov_full"] and source["role"] in SFT_ROLES and has_content(row["response"])
    # the RAG firewall
    rag_allowed = {"accepted", "partially_accepted"} | ({"needs_human_review"} if include_review else set())
    for row in rag:
        assert row["success_score"] != "rejected"
        assert row["success_score"] in rag_allowed
        source = by_run[row["source_run_id"]]
        assert source["category"] == row["success_score"] == row["source_category"]
        assert source["prov_full"] and has_content(row["content"])
    # preference: accepted over rejected/partial, never a run with itself, never equal texts
    for row in pref:
        chosen, rejected = by_run[row["chosen_run_id"]], by_run[row["rejected_run_id"]]
        assert chosen["category"] == "accepted"
        assert rejected["category"] in ("rejected", "partially_accepted")
        assert row["chosen_run_id"] != row["rejected_run_id"]
        assert row["chosen"] and row["rejected"] and row["chosen"] != row["rejected"]
        assert chosen["task"] == rejected["task"]

    # exact outcome, from SPEC's gates
    assert [r["source_run_id"] for r in rag] == expected_rag(model, include_review)
    assert [r["source_run_id"] for r in sft] == expected_sft(model, include_partial)
    assert [(r["chosen_run_id"], r["rejected_run_id"]) for r in pref] == expected_pairs(model)

    # accounting: nothing dropped silently
    for name, out in (("rag", rag), ("sft", sft)):
        s = summary[name]
        assert s["records_read"] == len(model)
        assert s["records_exported"] + s["records_quarantined"] + s["skipped_existing"] == s["records_read"]
        assert s["records_exported"] == len(out)
        assert s["records_quarantined"] == len(lines(root, f"exports/quarantine/{name}.jsonl"))
        by_reason = s["quarantine_by_reason"]
        assert list(by_reason) == sorted(by_reason) and all(n > 0 for n in by_reason.values())
        assert sum(by_reason.values()) == s["records_quarantined"]
    assert summary["preference"]["records_exported"] == len(pref)


@pytest.mark.slow
@SETTINGS
@given(specs=st.lists(RECORD, min_size=1, max_size=7), include_review=st.booleans(),
       include_partial=st.booleans())
def test_firewall_holds_for_any_mix(specs: list[dict[str, Any]], include_review: bool,
                                    include_partial: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        model = build(root, specs)
        flags = [f for f, on in (("--include-review", include_review), ("--include-partial", include_partial))
                 if on]
        summary = export_json(root, "export-all", *flags)
        check_firewall(root, model, summary, include_review, include_partial)


@pytest.mark.slow
@settings(SETTINGS, max_examples=examples(3))
@given(specs=st.lists(RECORD, min_size=2, max_size=6), include_review=st.booleans(),
       include_partial=st.booleans())
def test_rerun_on_any_mix_writes_nothing(specs: list[dict[str, Any]], include_review: bool,
                                         include_partial: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        build(root, specs)
        flags = [f for f, on in (("--include-review", include_review), ("--include-partial", include_partial))
                 if on]
        first = export_json(root, "export-all", *flags)
        before = {k: v for k, v in snapshot(root).items() if k.startswith("exports/")}
        second = export_json(root, "export-all", *flags)
        assert {k: v for k, v in snapshot(root).items() if k.startswith("exports/")} == before
        for name in ("rag", "sft", "preference"):
            assert second[name]["records_exported"] == 0
            assert second[name]["skipped_existing"] == first[name]["records_exported"]
            assert second[name]["records_quarantined"] == first[name]["records_quarantined"]
