"""The preference exporter (SPEC 6): indexing, grouping, candidates (accepted x rejected, else
accepted x partially_accepted), the cap in nested-loop order, failed candidates using slots,
the exact row, quarantine rows, idempotency, and the linear bound on a hot task."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import duckdb

from tests.conftest import (
    RECORDED_AT,
    evidence,
    export_json,
    output_lines,
    output_rows,
    run_cli,
    scored,
    snapshot,
    write_partition,
)

REL = "2026/04/27/pairs.jsonl"
SCORED_FILE = f"data/scored-runs/{REL}"
PREF_OUT = "exports/preference/chosen_rejected.jsonl"
Q_PREF = "exports/quarantine/preference.jsonl"
Q_KEYS = ["id", "exporter", "reason", "errors", "input", "source_record", "source_provenance", "recorded_at"]
DOT = " \u00b7 "

Spec = tuple[Any, ...]  # (run_id, category, task[, text[, {scored extras}[, {evidence extras}]]])


def h16(seed: str) -> str:
    return hashlib.sha256(seed.encode("utf-8")).hexdigest()[:16]


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def partition(root: Path, specs: list[Spec], rel: str = REL) -> list[dict[str, Any]]:
    """Write a scored partition and its evidence; each run's text defaults to 'answer <run_id>'."""
    records, evs = [], []
    for spec in specs:
        run_id, category, task = spec[:3]
        text = spec[3] if len(spec) > 3 else f"answer {run_id}"
        s_extra = spec[4] if len(spec) > 4 else {}
        e_extra = spec[5] if len(spec) > 5 else {}
        records.append(scored(run_id, category, task=task, **s_extra))
        evs.append(evidence(run_id, text=text, **e_extra))
    write_partition(root, "scored-runs", rel, records)
    write_partition(root, "evidence", rel, evs)
    return records


lines = output_lines
rows = output_rows


def pairs(root: Path) -> list[tuple[str, str]]:
    return [(r["chosen_run_id"], r["rejected_run_id"]) for r in rows(root, PREF_OUT)]


def pref(root: Path, *flags: str) -> dict[str, Any]:
    return export_json(root, "export-preference", *flags)


def qid(reason: str, chosen: tuple[str, int], rejected: tuple[str, int]) -> str:
    return "q-" + h16(f"preference|{reason}|{chosen[0]}|{chosen[1]}|{rejected[0]}|{rejected[1]}")


def check_q(row: dict[str, Any], reason: str, task: str, chosen_id: str, rejected_id: str,
            chosen_at: tuple[str, int], rejected_at: tuple[str, int], chosen_record: dict[str, Any]) -> None:
    assert list(row) == Q_KEYS
    assert row["errors"] and all(isinstance(e, str) and e for e in row["errors"])
    assert {k: v for k, v in row.items() if k != "errors"} == {
        "id": qid(reason, chosen_at, rejected_at),
        "exporter": "preference",
        "reason": reason,
        "input": {"file": chosen_at[0], "line": chosen_at[1]},
        "source_record": {"task_id": task, "chosen_run_id": chosen_id, "rejected_run_id": rejected_id},
        "source_provenance": chosen_record["provenance"],
        "recorded_at": RECORDED_AT,
    }


def check_summary(s: dict[str, Any], *, exported: int, quarantined: int = 0, skipped: int = 0,
                  with_pairs: int, insufficient: int, records_skipped: int = 0) -> None:
    assert s["exporter"] == "preference"
    assert s["output_path"] == PREF_OUT
    assert (s["records_exported"], s["records_quarantined"], s["skipped_existing"]) == (
        exported, quarantined, skipped)
    assert (s["task_ids_with_pairs"], s["insufficient_pair_task_ids"], s["records_skipped"]) == (
        with_pairs, insufficient, records_skipped)
    by_reason = s["quarantine_by_reason"]
    assert list(by_reason) == sorted(by_reason) and all(n > 0 for n in by_reason.values())
    assert sum(by_reason.values()) == quarantined


# --------------------------------------------------------------------------------------------


def test_pair_row_fields_exactly(lakehouse: Path) -> None:
    task = "scrum_review:crates/a.rs"
    c = scored("c1", task=task, reasons=["x" * 100, "ignored"],
               provenance={"source_file": "data/_kb/scrum_reviews.jsonl", "line_offset": 7, "sig_hash": "s",
                           "recorded_at": "r"})
    r = scored("r1", "rejected", task=task, reasons=[5, "why not"])
    write_partition(lakehouse, "scored-runs", REL, [c, r])
    write_partition(lakehouse, "evidence", REL, [
        evidence("c1", text="  chosen answer\n", source_files=["crates/a.rs", "b.rs"]),
        evidence("r1", text="\tbad answer ", source_files=["other.rs"]),
    ])
    s = pref(lakehouse)
    check_summary(s, exported=1, with_pairs=1, insufficient=0)
    expected = {
        "schema_version": 1,
        "id": "pref-" + h16(f"c1|r1|{task}"),
        "prompt": f"Task: {task}{DOT}file=crates/a.rs",
        "chosen": "chosen answer",
        "rejected": "bad answer",
        "reason": "chosen scored 'accepted' | rejected scored 'rejected' | chosen-rationale: " + "x" * 80
                  + " | rejected-rationale: why not",
        "chosen_run_id": "c1",
        "rejected_run_id": "r1",
        "created_at": RECORDED_AT,
        "provenance": {"source_file": "data/_kb/scrum_reviews.jsonl", "line_offset": 7,
                       "sig_hash": hashlib.sha256(b"c1|r1").hexdigest(), "recorded_at": RECORDED_AT},
    }
    assert lines(lakehouse, PREF_OUT) == [dumps(expected)]
    assert not (lakehouse / Q_PREF).exists() or lines(lakehouse, Q_PREF) == []


def test_prompt_reason_and_sig_hash_variants(lakehouse: Path) -> None:
    smile, tilde = "a\U0001F600", "a\uff5e"  # bytes: a~ (EF BD 9E) < a-smile (F0 ...); UTF-16 says otherwise
    partition(lakehouse, [
        ("c1", "accepted", "t1", "one", {"reasons": []}, {"source_files": [""]}),
        ("r1", "rejected", "t1", "two", {"reasons": [""]}),
        ("c2", "accepted", "t2", "one", {"reasons": "not a list"}, {"source_files": [3, "b.rs"]}),
        ("r2", "rejected", "t2", "two", {"reasons": ["\U0001F600" * 81]}),
        (smile, "accepted", "t3", "one", {}, {"source_files": None}),
        (tilde, "rejected", "t3", "two", {"reasons": [None]}),
        ("B", "accepted", "t4", "one", {"reasons": ["", "later"]}, {"source_files": []}),
        ("a", "partially_accepted", "t4", "two"),
    ])
    s = pref(lakehouse)
    check_summary(s, exported=4, with_pairs=4, insufficient=0)
    got = rows(lakehouse, PREF_OUT)
    assert [(r["prompt"], r["reason"]) for r in got] == [
        ("Task: t1", "chosen scored 'accepted' | rejected scored 'rejected' | rejected-rationale: "),
        (f"Task: t2{DOT}file=b.rs", "chosen scored 'accepted' | rejected scored 'rejected' | "
                                    "rejected-rationale: " + "\U0001F600" * 80),
        ("Task: t3", "chosen scored 'accepted' | rejected scored 'rejected' | chosen-rationale: reason for "
                     + smile),
        ("Task: t4", "chosen scored 'accepted' | rejected scored 'partially_accepted' | chosen-rationale:  | "
                     "rejected-rationale: reason for a"),
    ]
    sig = [r["provenance"]["sig_hash"] for r in got]
    assert sig == [hashlib.sha256(x.encode("utf-8")).hexdigest()
                   for x in ("c1|r1", "c2|r2", f"{tilde}|{smile}", "B|a")]
    assert [r["id"] for r in got] == ["pref-" + h16(x) for x in
                                      ("c1|r1|t1", "c2|r2|t2", f"{smile}|{tilde}|t3", "B|a|t4")]


def test_cap_and_nested_loop_order(lakehouse: Path, tmp_path: Path) -> None:
    specs: list[Spec] = [
        ("r1", "rejected", "T"), ("a1", "accepted", "T"), ("a2", "accepted", "T"), ("r2", "rejected", "T"),
        ("a3", "accepted", "T"),
        ("b1", "accepted", "U"), *[(f"s{i}", "rejected", "U") for i in range(1, 8)],
    ]
    partition(lakehouse, specs)
    other = tmp_path / "cap2"
    shutil.copytree(lakehouse, other)

    s = pref(lakehouse)
    check_summary(s, exported=10, with_pairs=2, insufficient=0)
    assert pairs(lakehouse) == [("a1", "r1"), ("a1", "r2"), ("a2", "r1"), ("a2", "r2"), ("a3", "r1"),
                                ("b1", "s1"), ("b1", "s2"), ("b1", "s3"), ("b1", "s4"), ("b1", "s5")]
    s = pref(other, "--max-pairs-per-task", "3")
    check_summary(s, exported=6, with_pairs=2, insufficient=0)
    assert pairs(other) == [("a1", "r1"), ("a1", "r2"), ("a2", "r1"),
                            ("b1", "s1"), ("b1", "s2"), ("b1", "s3")]


def test_partial_fallback_only_without_any_rejected(lakehouse: Path) -> None:
    partition(lakehouse, [
        ("a1", "accepted", "T1"), ("p1", "partially_accepted", "T1"), ("r1", "rejected", "T1"),
        ("a2", "accepted", "T2"), ("p2", "partially_accepted", "T2"), ("p3", "partially_accepted", "T2"),
        ("r3", "rejected", "T3"), ("p4", "partially_accepted", "T3"),          # no accepted
        ("a4", "accepted", "T4"), ("n4", "needs_human_review", "T4"),           # nothing to pair with
        ("a5", "accepted", "T5"),                                               # one record
        ("a6", "accepted", "T6"), ("a7", "accepted", "T6"),                     # accepted only
        ("p8", "partially_accepted", "T7"), ("p9", "partially_accepted", "T7"),
        ("a8", "accepted", "T8"), ("x8", "Rejected", "T8"), ("y8", "", "T8"),   # odd categories
        # rejected candidates exist but all fail: no fallback to the partial one
        ("a9", "accepted", "T9", "same"), ("r9", "rejected", "T9", " same "),
        ("p9b", "partially_accepted", "T9"),
    ])
    s = pref(lakehouse)
    check_summary(s, exported=3, quarantined=1, with_pairs=2, insufficient=6)
    assert s["quarantine_by_reason"] == {"invalid_preference_pairing": 1}
    assert pairs(lakehouse) == [("a1", "r1"), ("a2", "p2"), ("a2", "p3")]
    reasons = [r["reason"] for r in rows(lakehouse, PREF_OUT)]
    assert reasons[1].startswith("chosen scored 'accepted' | rejected scored 'partially_accepted' | ")
    (q,) = rows(lakehouse, Q_PREF)
    assert q["source_record"] == {"task_id": "T9", "chosen_run_id": "a9", "rejected_run_id": "r9"}


def test_failed_candidate_consumes_a_slot(lakehouse: Path, tmp_path: Path) -> None:
    records = partition(lakehouse, [
        ("a1", "accepted", "T", "same text"), ("r1", "rejected", "T", "same text"), ("r2", "rejected", "T"),
    ])
    other = tmp_path / "cap5"
    shutil.copytree(lakehouse, other)

    s = pref(lakehouse, "--max-pairs-per-task", "1")
    check_summary(s, exported=0, quarantined=1, with_pairs=0, insufficient=0)
    assert s["quarantine_by_reason"] == {"invalid_preference_pairing": 1}
    assert pairs(lakehouse) == []
    (q,) = rows(lakehouse, Q_PREF)
    check_q(q, "invalid_preference_pairing", "T", "a1", "r1", (SCORED_FILE, 0), (SCORED_FILE, 1), records[0])

    s = pref(other)  # cap 5: the second candidate now has a slot
    check_summary(s, exported=1, quarantined=1, with_pairs=1, insufficient=0)
    assert pairs(other) == [("a1", "r2")]


def test_self_pairing(lakehouse: Path) -> None:
    records = partition(lakehouse, [
        ("s", "accepted", "T"), ("s", "rejected", "T"), ("r", "rejected", "T"),
    ])
    s = pref(lakehouse)
    check_summary(s, exported=1, quarantined=1, with_pairs=1, insufficient=0)
    assert s["quarantine_by_reason"] == {"self_pairing": 1}
    assert pairs(lakehouse) == [("s", "r")]
    (q,) = rows(lakehouse, Q_PREF)
    check_q(q, "self_pairing", "T", "s", "s", (SCORED_FILE, 0), (SCORED_FILE, 1), records[0])


def test_identical_or_empty_texts_after_js_trim(lakehouse: Path) -> None:
    records = partition(lakehouse, [
        ("a1", "accepted", "T1", "\u00a0 same\n"), ("r1", "rejected", "T1", "\u3000same\t\u2029\ufeff"),
        ("a2", "accepted", "T2", "\ufeff \u205f\u2028"), ("r2", "rejected", "T2", "fine"),
        ("a3", "accepted", "T3", "fine"), ("r3", "rejected", "T3", ""),
        # not JS whitespace: U+001C (Python's str.strip would remove it) and U+200B
        ("a4", "accepted", "T4", " \x1csame"), ("r4", "rejected", "T4", "same"),
        ("a5", "accepted", "T5", "\u200bsame "), ("r5", "rejected", "T5", "same"),
        ("a6", "accepted", "T6", "Same"), ("r6", "rejected", "T6", "same"),
    ])
    s = pref(lakehouse)
    check_summary(s, exported=3, quarantined=3, with_pairs=3, insufficient=0)
    assert s["quarantine_by_reason"] == {"invalid_preference_pairing": 3}
    assert [(r["chosen"], r["rejected"]) for r in rows(lakehouse, PREF_OUT)] == [
        ("\x1csame", "same"), ("\u200bsame", "same"), ("Same", "same")]
    q = {r["source_record"]["task_id"]: r for r in rows(lakehouse, Q_PREF)}
    assert sorted(q) == ["T1", "T2", "T3"]
    for n in (1, 2, 3):
        check_q(q[f"T{n}"], "invalid_preference_pairing", f"T{n}", f"a{n}", f"r{n}",
                (SCORED_FILE, 2 * n - 2), (SCORED_FILE, 2 * n - 1), records[2 * n - 2])


def test_records_skipped_and_insufficient_tasks(lakehouse: Path) -> None:
    prov_no_sig = {"source_file": "data/_kb/scrum_reviews.jsonl", "line_offset": 0}
    no_run = scored("x", task="T")
    del no_run["evidence_run_id"]
    no_task = scored("nt", task="T")
    del no_task["evidence_task_id"]
    no_prov = scored("np", task="T")
    del no_prov["provenance"]
    write_partition(lakehouse, "scored-runs", REL, [
        scored("a1", task="T"),                                # the only usable record of T
        "[1]", "{broken", "",
        no_prov,
        scored("ns", "rejected", task="T", provenance=prov_no_sig),
        no_run,
        scored("ghost", "rejected", task="T"),                 # no evidence
        scored("far", "rejected", task="T"),                   # evidence in another partition only
        no_task,
        scored("et", "rejected", task="T", evidence_task_id=""),
        scored("wt", "rejected", task="T", evidence_task_id=5),
        scored("n1", "needs_human_review", task="U"),          # counted in a group, never paired
        scored("n2", "needs_human_review", task="U"),
    ])
    write_partition(lakehouse, "evidence", REL, [
        evidence(i) for i in ("a1", "np", "ns", "x", "nt", "et", "wt", "n1", "n2")])
    write_partition(lakehouse, "evidence", "2026/04/28/pairs.jsonl", [evidence("far")])
    s = pref(lakehouse)
    check_summary(s, exported=0, with_pairs=0, insufficient=2, records_skipped=10)
    assert s["records_read"] == 13
    assert pairs(lakehouse) == []
    assert lines(lakehouse, Q_PREF) == []


def test_groups_span_partitions_in_order_of_first_appearance(lakehouse: Path) -> None:
    day1, day2, day3 = "2026/04/27/pairs.jsonl", "2026/04/28/pairs.jsonl", "2026/04/29/pairs.jsonl"
    d1 = partition(lakehouse, [("t2a", "accepted", "T2"), ("t1a", "accepted", "T1"),
                               ("t4a", "accepted", "T4", "dup")], day1)
    partition(lakehouse, [("t1r", "rejected", "T1"), ("t2r", "rejected", "T2"), ("t3a", "accepted", "T3"),
                          ("t4r", "rejected", "T4", " dup ")], day2)
    partition(lakehouse, [("t3r", "rejected", "T3")], day3)
    s = pref(lakehouse)
    check_summary(s, exported=3, quarantined=1, with_pairs=3, insufficient=0)
    got = rows(lakehouse, PREF_OUT)
    assert [(r["chosen_run_id"], r["rejected_run_id"]) for r in got] == [
        ("t2a", "t2r"), ("t1a", "t1r"), ("t3a", "t3r")]
    # the chosen record gives the provenance
    assert [r["provenance"]["source_file"] for r in got] == ["data/_kb/scrum_reviews.jsonl"] * 3
    assert [r["provenance"]["sig_hash"] for r in got] == [
        hashlib.sha256(x.encode()).hexdigest() for x in ("t2a|t2r", "t1a|t1r", "t3a|t3r")]
    (q,) = rows(lakehouse, Q_PREF)
    check_q(q, "invalid_preference_pairing", "T4", "t4a", "t4r", (f"data/scored-runs/{day1}", 2),
            (f"data/scored-runs/{day2}", 3), d1[2])


def test_rerun_is_idempotent_and_within_run_duplicates(lakehouse: Path) -> None:
    partition(lakehouse, [
        ("a", "accepted", "T"), ("r", "rejected", "T"), ("a", "accepted", "T"),  # (a, r) twice
        ("s", "accepted", "S"), ("s", "rejected", "S"),                          # self pair
    ])
    first = pref(lakehouse)
    check_summary(first, exported=1, quarantined=2, with_pairs=1, insufficient=0)
    assert first["quarantine_by_reason"] == {"duplicate_id": 1, "self_pairing": 1}
    dup = next(r for r in rows(lakehouse, Q_PREF) if r["reason"] == "duplicate_id")
    assert dup["input"] == {"file": SCORED_FILE, "line": 2}
    assert dup["id"] == qid("duplicate_id", (SCORED_FILE, 2), (SCORED_FILE, 1))
    assert dup["source_record"] == {"task_id": "T", "chosen_run_id": "a", "rejected_run_id": "r"}
    before = {k: v for k, v in snapshot(lakehouse).items() if k.startswith("exports/")}

    second = pref(lakehouse)
    assert {k: v for k, v in snapshot(lakehouse).items() if k.startswith("exports/")} == before
    # both copies of (a, r) now find their id in the file; the self pair is quarantined again
    check_summary(second, exported=0, quarantined=1, skipped=2, with_pairs=0, insufficient=0)
    assert second["quarantine_by_reason"] == {"self_pairing": 1}


def test_hot_task_candidates_are_capped_structurally(lakehouse: Path) -> None:
    n = 2000
    records = [scored(f"a{i:04d}", task="hot") for i in range(n)] + \
        [scored(f"r{i:04d}", "rejected", task="hot") for i in range(n)]
    write_partition(lakehouse, "scored-runs", REL, records)
    write_partition(lakehouse, "evidence", REL, [evidence(r["evidence_run_id"], text=r["evidence_run_id"])
                                                 for r in records])
    run_cli("run", "--root", str(lakehouse), "--select", "preference_candidates")
    con = duckdb.connect(str(lakehouse / "warehouse.duckdb"), read_only=True)
    try:
        (count,) = con.execute("SELECT count(*) FROM preference_candidates").fetchone() or (None,)
    finally:
        con.close()
    assert count == 5, "a hot task must yield exactly max_pairs_per_task candidates, not |A| x |R|"

    s = pref(lakehouse)
    check_summary(s, exported=5, with_pairs=1, insufficient=0)
    assert pairs(lakehouse) == [("a0000", f"r{i:04d}") for i in range(5)]
