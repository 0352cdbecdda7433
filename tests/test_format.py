"""The byte format of every output line (SPEC 3, "Output format"): compact UTF-8 JSON, keys in
SPEC order, non-ASCII written as itself, only U+0000-U+001F escaped (short forms or lowercase
\\u00xx), `"` and `\\` escaped, `/` not escaped, one `\\n` after every line.

Expected lines are json.dumps(expected, ensure_ascii=False, separators=(",", ":")) of a dict built
by hand from SPEC (SPEC 3 names that call as the reference for the rows' strings).
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from tests.conftest import RECORDED_AT, evidence, export_json, scored, write_partition

REL = "2026/04/27/fmt.jsonl"
SCORED_FILE = f"data/scored-runs/{REL}"
OUTPUTS = [
    "exports/rag/playbooks.jsonl", "exports/sft/instruction_response.jsonl",
    "exports/preference/chosen_rejected.jsonl", "exports/quarantine/rag.jsonl",
    "exports/quarantine/sft.jsonl", "exports/quarantine/preference.jsonl",
]
Q_KEYS = ["id", "exporter", "reason", "errors", "input", "source_record", "source_provenance", "recorded_at"]
DOT = " \u00b7 "

CONTROLS = "".join(chr(c) for c in range(0x20))
# one line (no \n) holding everything that needs care, well under 120 code points
SPECIAL = ('q"uote back\\slash sl/ash \u00fcn\u00efc\u00f6d\u00e9 \u6f22\u5b57 '
           '\U0001F600\U0001F44D\U0001F3FD \x1b[31mred\x1b[0m \u2028 \u2029 \x7f \ufeff end')
TEXT = SPECIAL + "\n" + CONTROLS + "\r\n" + SPECIAL + "\\u0041 \\n"


def h16(seed: str) -> str:
    return hashlib.sha256(seed.encode("utf-8")).hexdigest()[:16]


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def raw_lines(root: Path, rel: str) -> list[bytes]:
    data = (root / rel).read_bytes()
    assert data.endswith(b"\n"), f"{rel}: the last line must end with \\n"
    assert not data.startswith(b"\xef\xbb\xbf")
    data.decode("utf-8")  # strict UTF-8
    return data.split(b"\n")[:-1]


def check_escapes(line: bytes) -> None:
    """Byte-level rules that hold for any output line."""
    assert b"\\/" not in line
    assert b"\r" not in line and b"\x00" not in line
    assert not any(b < 0x20 for b in line), "raw control characters must be escaped"
    text = line.decode("utf-8")
    for m in re.finditer(r"(\\+)u([0-9A-Fa-f]{4})", text):
        if len(m.group(1)) % 2 == 0:
            continue  # an escaped backslash followed by a literal "u...."
        code = m.group(2)
        assert code == code.lower(), f"uppercase escape \\u{code}"
        value = int(code, 16)
        assert value < 0x20, f"\\u{code} must be written as itself"
        assert value not in (0x08, 0x09, 0x0A, 0x0C, 0x0D), f"\\u{code} must use its short form"
    assert json.loads(text) is not None


def test_rag_and_sft_rows_are_byte_exact(lakehouse: Path) -> None:
    run_id = 'fmt-\u00e9\U0001F600/"q"'
    sig = "sig/\u00e9\U0001F600\\"
    task_id = '\u00fc/"q"\\:rest \u2028'
    e = evidence(
        run_id, text=TEXT, task_id=task_id, model_name='m/"\u00e9"\x01',
        source_files=['crates/\u00fc/"a".rs'],
        retrieved_context={"matrix_corpora": ["c/1", '\u00e9"2\u2029'], "pathway_fingerprints_seen": 3},
    )
    s = scored(run_id, sig=sig, provenance={"source_file": 'data/_kb/\u00fc/"s"\x1b.jsonl', "line_offset": 7,
                                            "sig_hash": sig, "recorded_at": "x"})
    # a second record whose instruction template repeats the task id (mode_experiments)
    e2 = evidence("m\u2028", text="\t" + SPECIAL + "\t", source="mode_experiments", task_id=task_id,
                  source_files=["f\\\u00e9"])
    s2 = scored("m\u2028")
    write_partition(lakehouse, "scored-runs", REL, [s, s2], newline=b"\r\n")
    write_partition(lakehouse, "evidence", REL, [e, e2], newline=b"\r\n")
    summary = export_json(lakehouse)
    assert summary["rag"]["records_exported"] == summary["sft"]["records_exported"] == 2

    prov = {"source_file": 'data/_kb/\u00fc/"s"\x1b.jsonl', "line_offset": 7, "sig_hash": sig,
            "recorded_at": RECORDED_AT}
    prov2 = {"source_file": "data/_kb/scrum_reviews.jsonl", "line_offset": 0, "sig_hash": "sig-m\u2028",
             "recorded_at": RECORDED_AT}
    rag = [
        {
            "schema_version": 1,
            "id": "rag-" + h16(run_id + "|" + sig),
            "title": SPECIAL,
            "content": TEXT,
            "tags": ['task:\u00fc/"q"\\', "category:accepted", "role:executor", 'model:m/"\u00e9"\x01',
                     'file:crates/\u00fc/"a".rs'],
            "source_run_id": run_id,
            "success_score": "accepted",
            "source_category": "accepted",
            "embedding_text": TEXT,
            "created_at": RECORDED_AT,
            "provenance": prov,
        },
        {
            "schema_version": 1,
            "id": "rag-" + h16("m\u2028|sig-m\u2028"),
            "title": "\t" + SPECIAL + "\t",
            "content": "\t" + SPECIAL + "\t",
            "tags": ['task:\u00fc/"q"\\', "category:accepted", "role:executor", "model:qwen2.5-coder:32b",
                     "file:f\\\u00e9"],
            "source_run_id": "m\u2028",
            "success_score": "accepted",
            "source_category": "accepted",
            "embedding_text": "\t" + SPECIAL + "\t",
            "created_at": RECORDED_AT,
            "provenance": prov2,
        },
    ]
    sft = [
        {
            "schema_version": 1,
            "id": "sft-" + h16(run_id + "|" + sig),
            "instruction": "Review the file 'crates/\u00fc/\"a\".rs' against the PRD + "
                           "change-proposal context. Produce a forensic audit with findings, severity, "
                           "confidence, patches.",
            "context": f'matrix=c/1,\u00e9"2\u2029{DOT}pathway_fingerprints=3{DOT}model=m/"\u00e9"\x01',
            "response": TEXT,
            "source_run_id": run_id,
            "quality_score": "accepted",
            "created_at": RECORDED_AT,
            "provenance": prov,
        },
        {
            "schema_version": 1,
            "id": "sft-" + h16("m\u2028|sig-m\u2028"),
            "instruction": f"Run task_class='{task_id}' for file 'f\\\u00e9'. "
                           "Produce the mode-runner's expected output shape.",
            "context": f"matrix=lakehouse_arch_v1{DOT}pathway_fingerprints=3{DOT}model=qwen2.5-coder:32b",
            "response": "\t" + SPECIAL + "\t",
            "source_run_id": "m\u2028",
            "quality_score": "accepted",
            "created_at": RECORDED_AT,
            "provenance": prov2,
        },
    ]
    rag_lines = raw_lines(lakehouse, OUTPUTS[0])
    sft_lines = raw_lines(lakehouse, OUTPUTS[1])
    assert rag_lines == [dumps(r).encode("utf-8") for r in rag]
    assert sft_lines == [dumps(r).encode("utf-8") for r in sft]

    line = rag_lines[0]
    for needle in (b'q\\"uote', b"back\\\\slash", b"sl/ash", "\u00fcn\u00efc\u00f6d\u00e9".encode(),
                   "\U0001F600\U0001F44D\U0001F3FD".encode(), b"\\u001b[31mred\\u001b[0m",
                   "\u2028 \u2029".encode(), b"\x7f", "\ufeff".encode(), b"\\\\u0041 \\\\n",
                   b"\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\b\\t\\n\\u000b\\f\\r"
                   b"\\u000e\\u000f\\u0010", b"\\u001e\\u001f\\r\\n"):
        assert needle in line, needle
    for raw in rag_lines + sft_lines:
        check_escapes(raw)


def test_quarantine_raw_rows_are_byte_exact(lakehouse: Path) -> None:
    not_json = b'{"evidence_run_id":"a\x01b \x7f \xe2\x80\xa8 \xf0\x9f\x98\x80 \\"q\\" \\\\ /"'
    long_line = ("\U0001F600\x7f/" * 100).encode("utf-8")  # not JSON either; _raw keeps 200 code points
    write_partition(lakehouse, "scored-runs", REL, [not_json, long_line])
    summary = export_json(lakehouse)
    assert summary["rag"]["records_quarantined"] == summary["sft"]["records_quarantined"] == 2

    raws = {0: not_json.decode("utf-8"), 1: ("\U0001F600\x7f/" * 100)[:200]}
    for exporter in ("rag", "sft"):
        lines = raw_lines(lakehouse, f"exports/quarantine/{exporter}.jsonl")
        assert len(lines) == 2
        by_line = {json.loads(x)["input"]["line"]: x for x in lines}
        for line_no, raw_text in raws.items():
            check_escapes(by_line[line_no])
            got = json.loads(by_line[line_no])
            expected = {
                "id": "q-" + h16(f"{exporter}|schema_violation|{SCORED_FILE}|{line_no}|"),
                "exporter": exporter,
                "reason": "schema_violation",
                "errors": got["errors"],  # wording is free
                "input": {"file": SCORED_FILE, "line": line_no},
                "source_record": {"_raw": raw_text},
                "source_provenance": None,
                "recorded_at": RECORDED_AT,
            }
            assert got["errors"]
            assert by_line[line_no] == dumps(expected).encode("utf-8")


def test_quarantine_source_record_keeps_the_format(lakehouse: Path) -> None:
    """The scored record copied into source_record / source_provenance obeys the same byte rules."""
    rejected = scored("r\U0001F600", "rejected", reasons=[SPECIAL, CONTROLS, "/"], note=TEXT)
    rejected["provenance"]["sig_hash"] = "sig\x0b\x1b/\u00e9"
    write_partition(lakehouse, "scored-runs", REL, [rejected])
    write_partition(lakehouse, "evidence", REL, [evidence("r\U0001F600", text=TEXT)])
    export_json(lakehouse)
    for exporter, reason in (("rag", "category_disallowed"), ("sft", "unsafe_sft_category")):
        lines = raw_lines(lakehouse, f"exports/quarantine/{exporter}.jsonl")
        assert len(lines) == 1
        row = json.loads(lines[0])
        assert list(row) == Q_KEYS
        assert row["reason"] == reason
        assert row["source_record"] == rejected
        assert row["source_provenance"] == rejected["provenance"]
        check_escapes(lines[0])
        # compact form in the row's own key order: re-serialising gives the same bytes
        assert dumps(row).encode("utf-8") == lines[0]


def test_preference_row_is_byte_exact(lakehouse: Path) -> None:
    task = 't/"\u00e9"\\ \U0001F600'
    chosen_text = "\u00a0\u3000 " + SPECIAL + "\n" + CONTROLS + "x \u2029\ufeff"
    rejected_text = "\r\n\t" + 'no/"\u2028' + "\x1f"
    a = scored("c\u00e9", task=task, reasons=["\U0001F600" * 90 + "tail"],
               provenance={"source_file": 'data/_kb/\u00fc"/.jsonl', "line_offset": 3, "sig_hash": "s",
                           "recorded_at": "r"})
    r = scored("r/\\", "rejected", task=task, reasons=['"' + "\x01" * 85])
    write_partition(lakehouse, "scored-runs", REL, [a, r])
    write_partition(lakehouse, "evidence", REL, [
        evidence("c\u00e9", text=chosen_text, source_files=['a/"\u00e9".rs']),
        evidence("r/\\", text=rejected_text),
    ])
    summary = export_json(lakehouse, "export-preference")
    assert summary["records_exported"] == 1
    ids = sorted(["c\u00e9", "r/\\"], key=lambda x: x.encode("utf-8"))
    expected = {
        "schema_version": 1,
        "id": "pref-" + h16(f"c\u00e9|r/\\|{task}"),
        "prompt": f"Task: {task}{DOT}file=a/\"\u00e9\".rs",
        "chosen": SPECIAL + "\n" + CONTROLS + "x",
        "rejected": 'no/"\u2028' + "\x1f",
        "reason": "chosen scored 'accepted' | rejected scored 'rejected' | chosen-rationale: "
                  + "\U0001F600" * 80 + " | rejected-rationale: " + '"' + "\x01" * 79,
        "chosen_run_id": "c\u00e9",
        "rejected_run_id": "r/\\",
        "created_at": RECORDED_AT,
        "provenance": {"source_file": 'data/_kb/\u00fc"/.jsonl', "line_offset": 3,
                       "sig_hash": hashlib.sha256("|".join(ids).encode("utf-8")).hexdigest(),
                       "recorded_at": RECORDED_AT},
    }
    lines = raw_lines(lakehouse, OUTPUTS[2])
    assert lines == [dumps(expected).encode("utf-8")]
    check_escapes(lines[0])
