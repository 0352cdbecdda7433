"""The per-line Python baseline: SPEC sections 1-11 written by hand, the way a user would.

    python bench/baseline.py ROOT [--recorded-at TS] [--include-review] [--include-partial]
                             [--max-pairs-per-task N]

Reads the lakehouse at ROOT line by line (``json.loads`` per line, dicts, ``hashlib``) and
appends the RAG, SFT and preference datasets and their quarantine files under
ROOT/exports/ with the same bytes as ``distill-duck export-all --no-safety-gates``: same
paths, row format, key order and ids; input errors, torn-file repair and idempotent
append included. It prints a one-line JSON summary of the counts per exporter. It writes
no warehouse, reports or receipts, and has none of the safety gates of SPEC section 12.

This is the yardstick of the benchmarks: distill-duck must be at least ten times faster
than this script of the same rules. A benchmark copies one corpus (a `distill-duck demo`
lakehouse) twice, times `distill-duck export-all --no-safety-gates --recorded-at TS` on one
copy and `python bench/baseline.py COPY --recorded-at TS` on the other, and may compare
the six output files. So it is plain on purpose: standard library only, one process, no
hand-made parser, but nothing done twice either (every partition is read once and each
line parsed once, for all three exporters). tests/test_baseline.py checks that it writes
what the conformance cases of sections 1-11 expect.

Where SPEC leaves a choice it takes Python's: a key repeated in an object gives its last
value (DuckDB takes the first), and a number beyond the float range such as 1e400 is
read as infinity and written back as Infinity in a quarantine row's source_record.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

SCORED_DIR = "data/scored-runs/"
EVIDENCE_DIR = "data/evidence/"

RAG_DATASET = "exports/rag/playbooks.jsonl"
SFT_DATASET = "exports/sft/instruction_response.jsonl"
PREFERENCE_DATASET = "exports/preference/chosen_rejected.jsonl"
QUARANTINE = {
    "rag": "exports/quarantine/rag.jsonl",
    "sft": "exports/quarantine/sft.jsonl",
    "preference": "exports/quarantine/preference.jsonl",
}

# the JavaScript String.prototype.trim set (SPEC section 1)
JS_WHITESPACE = ("\t\n\x0b\x0c\r \xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
                 "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff")
SFT_NEVER = {"rejected", "needs_human_review"}
SFT_SCHEMA = {"accepted", "partially_accepted"}
SFT_ROLES = {"executor", "reviewer", "applier"}
INT64_MIN, INT64_MAX = -(2 ** 63), 2 ** 63 - 1
SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abcdefABCDEF]")
SURROGATE = re.compile("[\ud800-\udfff]")


# --- helpers -------------------------------------------------------------------------------

def trim(s: str) -> str:
    return s.strip(JS_WHITESPACE)


def has_content(s: object) -> bool:
    """A string with a non-whitespace character."""
    return isinstance(s, str) and trim(s) != ""


def short_id(prefix: str, seed: str) -> str:
    return prefix + hashlib.sha256(seed.encode("utf-8")).hexdigest()[:16]


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def string(obj: Any, key: str) -> str | None:
    """obj[key] when obj is an object and the value a string (wrong types read as absent)."""
    if isinstance(obj, dict):
        value = obj.get(key)
        if isinstance(value, str):
            return value
    return None


def strings(obj: Any, key: str) -> list[str] | None:
    """The string elements of the array obj[key]; None when it is not an array."""
    if isinstance(obj, dict):
        value = obj.get(key)
        if isinstance(value, list):
            return [v for v in value if isinstance(v, str)]
    return None


def int64(value: Any) -> int | None:
    """A JSON integer within the signed 64-bit range, else None."""
    if isinstance(value, int) and not isinstance(value, bool) and INT64_MIN <= value <= INT64_MAX:
        return value
    return None


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _has_lone_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        return SURROGATE.search(value) is not None
    if isinstance(value, dict):
        return any(_has_lone_surrogate(k) or _has_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_lone_surrogate(v) for v in value)
    return False


def parse_json(text: str) -> tuple[bool, Any]:
    """(True, value) when text is strict RFC 8259 JSON (no NaN/Infinity, no lone surrogate
    escapes), else (False, None)."""
    try:
        value = json.loads(text, parse_constant=_no_constants)
    except (ValueError, RecursionError):
        return False, None
    if "\\u" in text and SURROGATE_ESCAPE.search(text) and _has_lone_surrogate(value):
        return False, None
    return True, value


# --- inputs (SPEC sections 1, 2, 7) --------------------------------------------------------

@dataclass
class Line:
    """A non-blank physical line: a JSON object (obj), or why it is not one (error, excerpt)."""
    line: int
    obj: dict[str, Any] | None
    error: str | None
    excerpt: str | None


def physical_records(data: bytes) -> Iterator[tuple[int, bytes, str | None]]:
    """SPEC 1: the non-blank lines of a partition file as (0-based physical line, its bytes
    without the line end, its text or None when it is not UTF-8): split on \\n, a file-start
    BOM and one trailing \\r removed. (The tests read partitions with it too.)"""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for number, raw in enumerate(data.split(b"\n")):
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            yield number, raw, None
            continue
        if trim(text) != "":
            yield number, raw, text


def read_lines(path: Path, noun: str) -> Iterator[Line]:
    """The records of a partition file (physical_records), each a JSON object or an input error."""
    for number, raw, text in physical_records(path.read_bytes()):
        if text is None:
            yield Line(number, None, f"{noun} not valid UTF-8", raw.decode("utf-8", errors="replace")[:200])
            continue
        ok, value = parse_json(text)
        if not ok:
            yield Line(number, None, f"{noun} not JSON", text[:200])
        elif not isinstance(value, dict):
            yield Line(number, None, f"{noun} not a JSON object", text[:200])
        else:
            yield Line(number, value, None, None)


def partition_files(root: Path, kind_dir: str) -> list[str]:
    """Files ending in .jsonl exactly three folders below kind_dir, root-relative, in byte order."""
    base = root / kind_dir
    found = []
    for dirpath, dirnames, filenames in os.walk(base, followlinks=True):
        depth = len(Path(dirpath).relative_to(base).parts)
        if depth >= 3:
            dirnames[:] = []
        if depth != 3:
            continue
        for name in filenames:
            if name.endswith(".jsonl") and os.path.isfile(os.path.join(dirpath, name)):
                found.append(Path(dirpath, name).relative_to(root).as_posix())
    return sorted(found, key=lambda p: p.encode("utf-8", "surrogateescape"))


def count_ignored_files(root: Path, partitions: set[str]) -> int:
    count = 0
    for dirpath, _, filenames in os.walk(root / "data", followlinks=True):
        for name in filenames:
            if Path(dirpath, name).relative_to(root).as_posix() not in partitions:
                count += 1
    return count


def read_evidence(path: Path, errors: list[str]) -> dict[str, dict[str, Any]]:
    """The usable evidence records of one file by run_id (the last line wins); input errors
    are appended to errors."""
    by_run: dict[str, dict[str, Any]] = {}
    for rec in read_lines(path, "evidence"):
        if rec.obj is None:
            errors.append(rec.error or "")
            continue
        run_id = string(rec.obj, "run_id")
        if not run_id:
            errors.append("evidence without a non-empty string run_id")
            continue
        by_run[run_id] = rec.obj
    return by_run


@dataclass
class Record:
    """A scored record with the evidence it joins to in its paired partition (or None)."""
    file: str
    line: int
    obj: dict[str, Any] | None
    error: str | None
    excerpt: str | None
    evidence: dict[str, Any] | None

    def run_id(self) -> str:
        return string(self.obj, "evidence_run_id") or ""

    def category(self) -> str | None:
        return string(self.obj, "category")

    def provenance(self) -> dict[str, Any] | None:
        prov = self.obj.get("provenance") if self.obj is not None else None
        return prov if isinstance(prov, dict) else None

    def provenance_complete(self) -> bool:
        prov = self.provenance()
        return bool(string(prov, "source_file")) and bool(string(prov, "sig_hash"))


# --- output files (SPEC section 3) ---------------------------------------------------------

def repair_torn(path: Path) -> None:
    """A last line without its \\n gets one when it is a JSON object; otherwise it moves to
    <file>.torn and is cut off."""
    if not path.is_file():
        return
    data = path.read_bytes()
    if not data or data.endswith(b"\n"):
        return
    tail = data[data.rfind(b"\n") + 1:]
    try:
        ok, value = parse_json(tail.decode("utf-8"))
    except UnicodeDecodeError:
        ok, value = False, None
    if ok and isinstance(value, dict):
        with open(path, "ab") as f:
            f.write(b"\n")
        return
    with open(path.with_name(path.name + ".torn"), "ab") as f:
        f.write(tail + b"\n")
    with open(path, "r+b") as f:
        f.truncate(len(data) - len(tail))


def existing_ids(path: Path) -> set[str]:
    """The string ids of the JSON object lines of an output file."""
    ids: set[str] = set()
    if not path.is_file():
        return ids
    with open(path, "rb") as f:
        for raw in f:
            try:
                ok, value = parse_json(raw.decode("utf-8"))
            except UnicodeDecodeError:
                continue
            if ok and isinstance(value, dict) and isinstance(value.get("id"), str):
                ids.add(value["id"])
    return ids


class Output:
    """An output file opened for appending on its first new row."""

    def __init__(self, path: Path):
        self.path = path
        self.file: TextIO | None = None

    def write(self, row: str) -> None:
        if self.file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.file = open(self.path, "a", encoding="utf-8", newline="\n")
        self.file.write(row + "\n")

    def close(self) -> None:
        if self.file is not None:
            self.file.close()


class Exporter:
    """One exporter's output files and counts: the ids already in its files (read before
    the run) and the ids it exported in this run."""

    def __init__(self, name: str, root: Path, dataset: str, recorded_at: str):
        self.name = name
        self.recorded_at = recorded_at
        self.rows = Output(root / dataset)
        self.quarantine_file = Output(root / QUARANTINE[name])
        self.existing = existing_ids(root / dataset)
        self.quarantined_before = existing_ids(root / QUARANTINE[name])
        self.exported_ids: set[str] = set()
        self.counts = {"records_read": 0, "records_exported": 0, "records_quarantined": 0,
                       "skipped_existing": 0}
        self.by_reason: dict[str, int] = {}

    def export(self, row: dict[str, Any]) -> None:
        self.exported_ids.add(row["id"])
        self.rows.write(dumps(row))
        self.counts["records_exported"] += 1

    def skip(self) -> None:
        self.counts["skipped_existing"] += 1

    def quarantine(self, reason: str, errors: list[str], file: str, line: int, source_record: Any,
                   source_provenance: dict[str, Any] | None, extra: str = "") -> None:
        self.counts["records_quarantined"] += 1
        self.by_reason[reason] = self.by_reason.get(reason, 0) + 1
        qid = short_id("q-", f"{self.name}|{reason}|{file}|{line}|{extra}")
        if qid in self.quarantined_before:
            return
        self.quarantine_file.write(dumps({
            "id": qid, "exporter": self.name, "reason": reason, "errors": errors,
            "input": {"file": file, "line": line}, "source_record": source_record,
            "source_provenance": source_provenance, "recorded_at": self.recorded_at,
        }))

    def quarantine_record(self, rec: Record, reason: str, errors: list[str],
                          source_record: Any = None) -> None:
        """Quarantine a scored record; by default with the record as read (or its excerpt)."""
        if source_record is None:
            source_record = rec.obj if rec.obj is not None else {"_raw": rec.excerpt}
        self.quarantine(reason, errors, rec.file, rec.line, source_record, rec.provenance())

    def summary(self) -> dict[str, Any]:
        return {"exporter": self.name, **self.counts,
                "quarantine_by_reason": dict(sorted(self.by_reason.items()))}

    def close(self) -> None:
        self.rows.close()
        self.quarantine_file.close()


def row_provenance(prov: dict[str, Any], recorded_at: str, sig_hash: Any = None) -> dict[str, Any]:
    """A row's provenance: the scored record's values as read (absent keys left out), then
    this run's recorded_at."""
    out: dict[str, Any] = {}
    for key in ("source_file", "line_offset", "sig_hash"):
        if key == "sig_hash" and sig_hash is not None:
            out[key] = sig_hash
        elif key in prov:
            out[key] = prov[key]
    out["recorded_at"] = recorded_at
    return out


def common_errors(row_id: str, prov: dict[str, Any], sig_hash: Any) -> list[str]:
    """The validation rules shared by the three row schemas (SPEC section 3)."""
    errors = []
    if not has_content(row_id):
        errors.append("id must be non-empty")
    if not has_content(prov.get("source_file")):
        errors.append("provenance.source_file must be non-empty")
    if not has_content(sig_hash):
        errors.append("provenance.sig_hash must be non-empty")
    offset = int64(prov.get("line_offset"))
    if offset is None or offset < 0:
        errors.append("provenance.line_offset must be an integer >= 0")
    return errors


def evidence_or_refuse(exp: Exporter, rec: Record, run_id: str) -> dict[str, Any] | None:
    """The evidence record a scored record names in its paired partition; None when there
    is none, and then the record is quarantined (RAG gate 5, SFT gate 6)."""
    if rec.evidence is None:
        exp.quarantine_record(rec, "missing_source_run_id",
                              [f"evidence_run_id={run_id} not found in the paired evidence partition"])
    return rec.evidence


def settled_by_id(exp: Exporter, row_id: str, refuse: Callable[[str, list[str]], None]) -> bool:
    """SPEC 3 for a built id: skipped when the output file has it, refused as duplicate_id
    when this run exported it already; True when either settled the record."""
    if row_id in exp.existing:
        exp.skip()
        return True
    if row_id in exp.exported_ids:
        refuse("duplicate_id", [f"id {row_id} already exported in this run"])
        return True
    return False


# --- RAG (SPEC section 4) ------------------------------------------------------------------

def rag_title(text: str, task_id: str) -> str:
    for part in text.split("\n"):
        if has_content(part):
            return part[:120]
    return task_id[:120]


def export_rag_record(exp: Exporter, rec: Record, include_review: bool) -> None:
    exp.counts["records_read"] += 1
    allowed = ["accepted", "partially_accepted"] + (["needs_human_review"] if include_review else [])
    if rec.obj is None:
        exp.quarantine_record(rec, "schema_violation", [rec.error or "not a JSON object"])
        return
    if not rec.provenance_complete():
        exp.quarantine_record(rec, "missing_provenance",
                              ["provenance missing or incomplete (source_file, sig_hash)"])
        return
    run_id = rec.run_id()
    if not run_id:
        exp.quarantine_record(rec, "missing_source_run_id", ["evidence_run_id missing"])
        return
    category = rec.category()
    if category not in allowed:
        exp.quarantine_record(rec, "category_disallowed",
                              [f"category={category or 'missing'} not in {allowed}"])
        return
    ev = evidence_or_refuse(exp, rec, run_id)
    if ev is None:
        return
    text = string(ev, "text")
    if not has_content(text):
        exp.quarantine_record(rec, "empty_content", ["evidence text is empty or missing; RAG needs content"])
        return
    assert text is not None
    prov = rec.provenance() or {}
    sig_hash = prov["sig_hash"]
    row_id = short_id("rag-", f"{run_id}|{sig_hash}")
    if settled_by_id(exp, row_id, lambda reason, errors: exp.quarantine_record(rec, reason, errors)):
        return

    task_id = string(ev, "task_id") or ""
    role = string(ev, "model_role") or ""
    model = string(ev, "model_name") or ""
    files = strings(ev, "source_files") or []
    tags = [f"task:{task_id.split(':', 1)[0]}", f"category:{category}"]
    if role:
        tags.append(f"role:{role}")
    if model:
        tags.append(f"model:{model}")
    if files:
        tags.append(f"file:{files[0]}")
    title = rag_title(text, task_id)
    row = {
        "schema_version": 1, "id": row_id, "title": title, "content": text, "tags": tags,
        "source_run_id": run_id, "success_score": category, "source_category": category,
        "embedding_text": text[:2000], "created_at": exp.recorded_at,
        "provenance": row_provenance(prov, exp.recorded_at),
    }
    errors = common_errors(row_id, prov, sig_hash)
    for key, value in (("title", title), ("content", text), ("source_run_id", run_id)):
        if not has_content(value):
            errors.append(f"{key} must be non-empty")
    if errors:
        exp.quarantine_record(rec, "schema_violation", errors, source_record=row)
        return
    exp.export(row)


# --- SFT (SPEC section 5) ------------------------------------------------------------------

def sft_instruction(ev: dict[str, Any], stem: str) -> str:
    files = strings(ev, "source_files") or []
    f = files[0] if files else ""
    task_id = string(ev, "task_id") or ""
    if stem == "scrum_reviews":
        return (f"Review the file '{f}' against the PRD + change-proposal context. "
                "Produce a forensic audit with findings, severity, confidence, patches.")
    if stem == "mode_experiments":
        return f"Run task_class='{task_id}' for file '{f}'. Produce the mode-runner's expected output shape."
    if stem == "auto_apply":
        return (f"Auto-apply: emit a 6-line surgical patch for '{f}' "
                "based on the latest scrum review findings.")
    if stem == "audits":
        return f"Audit phase '{task_id.removeprefix('phase:')}' and report findings with severity."
    if stem == "observer_reviews":
        return f"Observer-review the latest attempt on '{f}'. Verdict: accept | reject | cycle."
    if stem == "contract_analyses":
        permit = task_id.removeprefix("permit:")
        contractor = string(ev.get("metadata"), "contractor")
        if contractor:
            return f"Analyze contractor '{contractor}' for permit '{permit}'. Recommend with risk markers."
        return f"Analyze permit '{permit}'. Recommend with risk markers."
    if stem == "outcomes":
        return "Run scenario; report per-event outcome with citations."
    return f"Source '{stem}' run; produce the appropriate output for this task type."


def sft_context(ev: dict[str, Any]) -> str:
    parts = []
    context = ev.get("retrieved_context")
    corpora = strings(context, "matrix_corpora")
    if corpora:
        parts.append("matrix=" + ",".join(corpora))
    fingerprints = int64(context.get("pathway_fingerprints_seen")) if isinstance(context, dict) else None
    if fingerprints is not None:
        parts.append(f"pathway_fingerprints={fingerprints}")
    model = string(ev, "model_name")
    if model:
        parts.append(f"model={model}")
    return " · ".join(parts)


def export_sft_record(exp: Exporter, rec: Record, include_partial: bool) -> None:
    exp.counts["records_read"] += 1
    allowed = ["accepted"] + (["partially_accepted"] if include_partial else [])
    if rec.obj is None:
        exp.quarantine_record(rec, "schema_violation", [rec.error or "not a JSON object"])
        return
    category = rec.category()
    if category in SFT_NEVER:
        exp.quarantine_record(rec, "unsafe_sft_category", [f"category={category} forbidden in SFT"])
        return
    if category not in allowed:
        exp.quarantine_record(rec, "category_disallowed",
                              [f"category={category or 'missing'} not in {allowed}"])
        return
    prov = rec.provenance() or {}
    sig_hash = string(prov, "sig_hash")
    if not sig_hash:
        exp.quarantine_record(rec, "missing_provenance", ["provenance.sig_hash missing"])
        return
    run_id = rec.run_id()
    if not run_id:
        exp.quarantine_record(rec, "missing_source_run_id", ["evidence_run_id missing"])
        return
    ev = evidence_or_refuse(exp, rec, run_id)
    if ev is None:
        return
    row_id = short_id("sft-", f"{run_id}|{sig_hash}")
    if settled_by_id(exp, row_id, lambda reason, errors: exp.quarantine_record(rec, reason, errors)):
        return

    text = string(ev, "text")
    role = string(ev, "model_role") or ""
    if role not in SFT_ROLES or not has_content(text):
        shape = {"run_id": run_id, "model_role": role, "has_text": bool(text)}
        exp.quarantine_record(rec, "missing_source_run_id",
                              ["evidence has no instruction->response shape "
                               "(extraction-class role or empty text)"],
                              source_record=shape)
        return
    assert text is not None
    evidence_source = string(ev.get("provenance"), "source_file")
    if not evidence_source:
        exp.quarantine_record(rec, "missing_provenance", ["evidence provenance.source_file missing"])
        return
    stem = evidence_source.removeprefix("data/_kb/").removesuffix(".jsonl")
    instruction = sft_instruction(ev, stem)
    row = {
        "schema_version": 1, "id": row_id, "instruction": instruction, "context": sft_context(ev),
        "response": text, "source_run_id": run_id, "quality_score": category,
        "created_at": exp.recorded_at, "provenance": row_provenance(prov, exp.recorded_at),
    }
    errors = common_errors(row_id, prov, sig_hash)
    for key, value in (("instruction", instruction), ("response", text), ("source_run_id", run_id)):
        if not has_content(value):
            errors.append(f"{key} must be non-empty")
    if category not in SFT_SCHEMA:
        errors.append(f"quality_score {category} is forbidden in SFT")
    if errors:
        exp.quarantine_record(rec, "schema_violation", errors, source_record=row)
        return
    exp.export(row)


# --- preference (SPEC section 6) -----------------------------------------------------------

@dataclass
class PairRecord:
    """What pairing needs of one indexed scored record and its evidence."""
    file: str
    line: int
    run_id: str
    category: str | None
    reasons: list[str] | None
    provenance: dict[str, Any]
    text: str
    first_file: str | None


def index_preference_record(groups: dict[str, list[PairRecord]], rec: Record) -> bool:
    """Add a record to its task's group; False when it is skipped (SPEC 6, indexing)."""
    if rec.obj is None or not rec.provenance_complete() or not rec.run_id() or rec.evidence is None:
        return False
    task_id = string(rec.obj, "evidence_task_id")
    if not task_id:
        return False
    files = strings(rec.evidence, "source_files")
    groups.setdefault(task_id, []).append(PairRecord(
        rec.file, rec.line, rec.run_id(), rec.category(), strings(rec.obj, "reasons"),
        rec.provenance() or {}, string(rec.evidence, "text") or "", files[0] if files else None))
    return True


def candidate_pairs(group: list[PairRecord], cap: int) -> list[tuple[PairRecord, PairRecord]]:
    """The first cap pairs of accepted x rejected in nested-loop order, else of accepted x
    partially accepted."""
    accepted = [r for r in group if r.category == "accepted"]
    others = [r for r in group if r.category == "rejected"] or \
        [r for r in group if r.category == "partially_accepted"]
    pairs: list[tuple[PairRecord, PairRecord]] = []
    for a in accepted:
        for r in others:
            if len(pairs) == cap:
                return pairs
            pairs.append((a, r))
    return pairs


def pair_reason(chosen: PairRecord, rejected: PairRecord) -> str:
    parts = [f"chosen scored '{chosen.category}'", f"rejected scored '{rejected.category}'"]
    if chosen.reasons:
        parts.append(f"chosen-rationale: {chosen.reasons[0][:80]}")
    if rejected.reasons:
        parts.append(f"rejected-rationale: {rejected.reasons[0][:80]}")
    return " | ".join(parts)


def export_pair(exp: Exporter, task_id: str, chosen: PairRecord, rejected: PairRecord) -> bool:
    """Build, check and export or quarantine one candidate; True when it was exported."""
    source = {"task_id": task_id, "chosen_run_id": chosen.run_id, "rejected_run_id": rejected.run_id}

    def refuse(reason: str, errors: list[str], source_record: Any = source) -> None:
        exp.quarantine(reason, errors, chosen.file, chosen.line, source_record, chosen.provenance,
                       extra=f"{rejected.file}|{rejected.line}")

    chosen_text, rejected_text = trim(chosen.text), trim(rejected.text)
    if chosen.run_id == rejected.run_id:
        refuse("self_pairing", [f"chosen and rejected are the same run {chosen.run_id}"])
        return False
    if not chosen_text or not rejected_text:
        refuse("invalid_preference_pairing", ["chosen or rejected text is empty after trim"])
        return False
    if chosen_text == rejected_text:
        refuse("invalid_preference_pairing", ["chosen and rejected texts are identical after trim"])
        return False
    row_id = short_id("pref-", f"{chosen.run_id}|{rejected.run_id}|{task_id}")
    if settled_by_id(exp, row_id, refuse):
        return False
    low, high = sorted([chosen.run_id, rejected.run_id])
    sig_hash = hashlib.sha256(f"{low}|{high}".encode()).hexdigest()
    prompt = f"Task: {task_id}" + (f" · file={chosen.first_file}" if chosen.first_file else "")
    reason = pair_reason(chosen, rejected)
    row = {
        "schema_version": 1, "id": row_id, "prompt": prompt, "chosen": chosen_text,
        "rejected": rejected_text, "reason": reason, "chosen_run_id": chosen.run_id,
        "rejected_run_id": rejected.run_id, "created_at": exp.recorded_at,
        "provenance": row_provenance(chosen.provenance, exp.recorded_at, sig_hash=sig_hash),
    }
    errors = common_errors(row_id, chosen.provenance, sig_hash)
    for key, value in (("prompt", prompt), ("chosen", chosen_text), ("rejected", rejected_text),
                       ("reason", reason)):
        if not has_content(value):
            errors.append(f"{key} must be non-empty")
    if errors:
        refuse("schema_violation", errors, source_record=row)
        return False
    exp.export(row)
    return True


def export_preference(exp: Exporter, groups: dict[str, list[PairRecord]], cap: int) -> None:
    """Pair every task's records, groups in order of first appearance."""
    with_pairs = insufficient = 0
    for task_id, group in groups.items():
        pairs = candidate_pairs(group, cap) if len(group) >= 2 else []
        if not pairs:
            insufficient += 1
            continue
        exported = [export_pair(exp, task_id, chosen, rejected) for chosen, rejected in pairs]
        with_pairs += any(exported)
    exp.counts["task_ids_with_pairs"] = with_pairs
    exp.counts["insufficient_pair_task_ids"] = insufficient


# --- the run -------------------------------------------------------------------------------

def run(root: Path, recorded_at: str, include_review: bool, include_partial: bool,
        max_pairs_per_task: int) -> dict[str, Any]:
    scored_files = partition_files(root, SCORED_DIR)
    evidence_files = partition_files(root, EVIDENCE_DIR)
    ignored = count_ignored_files(root, set(scored_files) | set(evidence_files))

    for rel in (RAG_DATASET, SFT_DATASET, PREFERENCE_DATASET, *QUARANTINE.values()):
        repair_torn(root / rel)
    rag = Exporter("rag", root, RAG_DATASET, recorded_at)
    sft = Exporter("sft", root, SFT_DATASET, recorded_at)
    preference = Exporter("preference", root, PREFERENCE_DATASET, recorded_at)

    input_errors: list[str] = []
    groups: dict[str, list[PairRecord]] = {}
    records = skipped = 0
    paired_evidence = set()
    for rel in scored_files:
        partition = rel.removeprefix(SCORED_DIR)
        evidence_rel = EVIDENCE_DIR + partition
        evidence: dict[str, dict[str, Any]] = {}
        if evidence_rel in evidence_files:
            evidence = read_evidence(root / evidence_rel, input_errors)
            paired_evidence.add(evidence_rel)
        for line in read_lines(root / rel, "scored-run"):
            if line.obj is None:
                input_errors.append(line.error or "")
            run_id = string(line.obj, "evidence_run_id") if line.obj is not None else None
            rec = Record(rel, line.line, line.obj, line.error, line.excerpt,
                         evidence.get(run_id) if run_id else None)
            records += 1
            export_rag_record(rag, rec, include_review)
            export_sft_record(sft, rec, include_partial)
            if not index_preference_record(groups, rec):
                skipped += 1
    # evidence files no scored file pairs with: read for their input errors only
    for rel in evidence_files:
        if rel not in paired_evidence:
            read_evidence(root / rel, input_errors)

    export_preference(preference, groups, max_pairs_per_task)
    preference.counts["records_read"] = records
    preference.counts["records_skipped"] = skipped

    summary = {}
    for exp in (rag, sft, preference):
        exp.close()
        summary[exp.name] = {**exp.summary(), "scored_files_read": len(scored_files),
                             "input_errors": len(input_errors), "ignored_files": ignored}
    return summary


def now_iso() -> str:
    now = datetime.datetime.now(datetime.UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--recorded-at", default=None)
    parser.add_argument("--include-review", action="store_true")
    parser.add_argument("--include-partial", action="store_true")
    parser.add_argument("--max-pairs-per-task", type=int, default=5)
    args = parser.parse_args(argv)
    if not (args.root / "data").is_dir():
        parser.error(f"{args.root} has no data/ directory: is this a lakehouse root?")
    if args.max_pairs_per_task < 1:
        parser.error("--max-pairs-per-task must be at least 1")
    summary = run(args.root, args.recorded_at or now_iso(), args.include_review, args.include_partial,
                  args.max_pairs_per_task)
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
