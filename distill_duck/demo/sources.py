"""What the demo lakehouse is made of: its calendar, its source classes (one partition
file stem each, with a role, a task style and a category mix) and the kinds of input fault
it sprinkles in (``FAULT_KINDS``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

# Placeholder for the task's file path inside pre-built fragments; a control
# character so it can never collide with real fragment text.
_PATH = "\x01"
# Placeholder that becomes the 6 ASCII characters ``\udc00`` after encoding.
_LONE = "\x02"
# Placeholder for the task id inside pre-built headings.
_TASK = "\x03"

_FIRST_DAY = dt.date(2026, 3, 1)
_MAX_DAYS = 61  # 2026-03-01 .. 2026-04-30
_ORPHAN_DAY = _FIRST_DAY - dt.timedelta(days=1)
_RUNS_PER_DAY = 16_000
_MAX_RECORDS_PER_FILE = 2_500
_PARALLEL_THRESHOLD = 50_000


@dataclass(frozen=True)
class _Source:
    stem: str
    run_prefix: str
    role: str
    task_style: str  # file | phase | permit | num
    task_prefix: str
    weight: float
    # accepted, partially_accepted, rejected; the rest is needs_human_review
    mix: tuple[float, float, float]
    body: str  # review | patch | contract | outcome | facts


# stem, run_id prefix, model_role, task style, task prefix, weight, mix, body
_SOURCE_TABLE = """
audit_facts          audit_fact   extractor num    audit_facts          0.08 0.34 0.10 0.05 facts
audits               audit        reviewer  phase  phase                0.10 0.34 0.10 0.06 review
auto_apply           auto_apply   applier   file   auto_apply           0.10 0.36 0.08 0.10 patch
contract_analyses    permit       executor  permit permit               0.09 0.36 0.12 0.06 contract
distilled_facts      distilled    extractor num    distilled_facts      0.10 0.36 0.10 0.05 facts
mode_experiments     mode         executor  file   mode                 0.13 0.15 0.06 0.05 review
observer_escalations escalation   extractor num    observer_escalations 0.07 0.30 0.08 0.05 facts
observer_reviews     observer     reviewer  file   observer_reviews     0.12 0.38 0.10 0.08 review
outcomes             outcome      executor  num    outcomes             0.06 0.30 0.10 0.05 outcome
scrum_reviews        scrum_review executor  file   scrum_review         0.15 0.40 0.12 0.08 review
"""


def _parse_sources(table: str) -> tuple[_Source, ...]:
    out = []
    for row in table.strip().splitlines():
        stem, prefix, role, style, task_prefix, w, a, p, r, body = row.split()
        out.append(
            _Source(stem, prefix, role, style, task_prefix, float(w), (float(a), float(p), float(r)), body)
        )
    return tuple(out)


_SOURCES = _parse_sources(_SOURCE_TABLE)
SOURCE_STEMS: tuple[str, ...] = tuple(s.stem for s in _SOURCES)

# Record-level faults: each occurrence is injected into one partition pair.
_RECORD_FAULTS: tuple[str, ...] = (
    "scored_truncated_line",
    "scored_json_array",
    "scored_json_null",
    "scored_nan",
    "scored_trailing_garbage",
    "scored_nbsp_prefix",
    "scored_lone_surrogate",
    "scored_invalid_utf8",
    "blank_lines",
    "scored_missing_provenance",
    "scored_provenance_not_object",
    "scored_missing_sig_hash",
    "scored_empty_sig_hash",
    "scored_missing_evidence_run_id",
    "scored_unknown_run_id",
    "scored_evidence_in_other_partition",
    "scored_bad_category",
    "scored_line_offset_string",
    "scored_line_offset_float",
    "scored_line_offset_negative",
    "scored_line_offset_huge",
    "scored_reasons_string",
    "scored_reasons_mixed_types",
    "scored_missing_task_id",
    "scored_duplicate_line",
    "evidence_empty_text",
    "evidence_whitespace_text",
    "evidence_missing_text",
    "evidence_missing_source_file",
    "evidence_not_json",
    "evidence_not_object",
    "evidence_missing_run_id",
    "evidence_run_id_wrong_type",
    "evidence_duplicate_run_id",
    "evidence_wrong_types",
    "preference_identical_texts",
    "preference_self_pairing",
)
_FILE_FAULTS: tuple[str, ...] = ("crlf_file", "bom_file", "no_final_newline")
_TREE_FAULTS: tuple[str, ...] = ("orphan_evidence_file", "ignored_files")
FAULT_KINDS: tuple[str, ...] = _RECORD_FAULTS + _FILE_FAULTS + _TREE_FAULTS

# Enough fresh record slots / task numbers for the largest fault handler.
_SLOTS_PER_FAULT = 6

_GROUP_SIZES = (1, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 5, 5, 6, 6)
_CROSS_PARTITION_REUSE = 0.08
