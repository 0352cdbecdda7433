"""Deterministic sample lakehouse for demos, tests and benchmarks.

``write_demo(root)`` writes dated evidence / scored-run partitions under
``root/data`` that look like the real lakehouse (source classes, category mix,
several attempts per task, markdown texts with non-ASCII) and sprinkles every
kind of input fault the exporters must survive (see ``FAULT_KINDS``).

The same ``(runs, seed)`` always gives a byte-identical tree: all randomness
comes from ``random.Random`` instances seeded from ``seed``, and every partition
is generated from its own derived seed, so partitions can be written in
parallel without changing a byte.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import math
import os
import pathlib
import random
import sys
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

__all__ = ["FAULT_KINDS", "SOURCE_STEMS", "write_demo"]

_encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False)
_dump = _encoder.encode

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


# --------------------------------------------------------------------------
# fragment pools


_CRATES = (
    "vectord",
    "gateway",
    "scrumd",
    "observer",
    "lakehouse-core",
    "permits",
    "ingest",
    "embedder",
    "quarantine",
    "ladder",
    "catalog",
    "outcomes",
    "shardmap",
    "kb",
)
_RUST_MODULES = (
    "playbook_memory",
    "main",
    "lib",
    "router",
    "compaction",
    "retry",
    "manifest",
    "index",
    "search",
    "schema",
    "lock",
    "verdict",
    "cache",
    "config",
    "export",
    "score",
    "pathway",
    "citations",
    "shard",
    "writer",
    "reader",
    "ladder",
    "budget",
    "grounding",
)
_RUST_SUBDIRS = ("", "handlers/", "store/", "api/", "util/", "jobs/")
_TS_FILES = (
    "auditor/schemas/x.ts",
    "auditor/schemas/evidence_record.ts",
    "auditor/schemas/rag_sample.ts",
    "scripts/distillation/export_rag.ts",
    "scripts/distillation/export_sft.ts",
    "scripts/distillation/quarantine.ts",
    "scripts/distillation/score_runs.ts",
    "web/src/components/RunTable.tsx",
    "web/src/pages/Übersicht.tsx",
)
_OTHER_FILES = (
    "src/日本語/模块.py",
    "lib/emoji_😀.go",
    "docs/ADR-017 é.md",
    "scripts/a b/c.sh",
    "docs/PRD.md",
    "docs/runbooks/rotation-étape-2.md",
    "tools/bench/recall@k.py",
    "python/lakehouse/ingest.py",
    "python/lakehouse/données.py",
    "go/cmd/observer/main.go",
    "config/permits/zoning–rules.yaml",
    "sql/views/scored_runs.sql",
    "数据湖/分区/manifest.json",
)
_SYMBOLS = (
    "PlaybookMemory::upsert",
    "VectorIndex::search",
    "gateway::route_request",
    "compact_partition",
    "ScrumLadder::next_rung",
    "score_run",
    "EvidenceIndex.build",
    "QuarantineWriter.write",
    "permit_fee",
    "ObserverClient::verdict",
    "retry_with_backoff",
    "ShardLock::acquire",
    "load_manifest",
    "embed_batch",
    "normalize_path",
    "parse_recorded_at",
    "ContractorRisk::score",
    "OutcomeScenario::replay",
    "Catalog::resolve",
    "exportRag",
    "buildInstruction",
    "sig_hash_of",
)
_SEVERITIES = ("critical", "high", "high", "medium", "medium", "medium", "low", "low", "info")
_FINDINGS = (
    "`{a}` holds the shard lock across an `.await` → possible deadlock under concurrent compaction",
    "Retry loop in `{a}` never backs off; 429s from the gateway amplify ×{n}",
    "`{a}` unwraps the index lookup — a missing playbook panics the worker",
    "Schema drift: `{a}` writes `exported_at`, the PRD says `created_at`",
    "Citations built from `{b}` are not deduplicated → the RAG corpus repeats evidence",
    "Off-by-one in the pagination cursor of `{a}` skips the last row of every page",
    "`{a}` parses timestamps in local time; the lakehouse stores UTC (`Z`) — drift up to {n} h",
    "Unbounded channel between `{a}` and `{b}`; memory grows ~{n} MB/h under load",
    "Error context lost: `{a}` maps every failure to `Error::Unknown`",
    "SQL assembled by string concatenation in `{a}` — parameterise it (injection risk)",
    "`{a}` re-reads the whole partition per request; cache the manifest (p95 {n}0 ms → {n} ms)",
    "Observer verdict ignored when `{a}` times out; should escalate → human review",
    "Permit fee in `{a}` rounds half-down; Überprüfung against §4.{n} needed",
    "Unicode paths: `{a}` slices bytes, not code points (breaks on 数据湖 / ファイル names)",
    "Grounding score compared with `>` instead of `>=` in `{a}`",
    "Dead code: `{a}` is unreachable since the ladder refactor",
    "`{a}` logs the contractor's tax id in clear text ⚠️",
    "Missing fsync before rename in `{a}` — a crash can leave a torn JSONL file",
    "`{a}` trusts `line_offset` from the record; negative values slip through",
    "Race: `{a}` and `{b}` both bump the rung counter without CAS",
    "`{a}` swallows `NaN` scores and ranks them first 🙃",
    "Hard-coded path in `{a}`: `/home/profit/now.md` will not exist in CI",
    "`{a}` allocates a fresh `String` per token; {n}× more allocations than needed",
    "The claim in `{b}` about idempotency is not backed by a test",
)
_CODE_BLOCKS = (
    "```rust\nlet guard = shard.lock().await;\n"
    "let hits = index.search(&query, 10).await?; // lock held across .await\ndrop(guard);\n```",
    "```rust\nmatch store.get(&key) {\n\tSome(v) => Ok(v.clone()),\n"
    "\tNone => Err(Error::MissingPlaybook(key.to_string())),\n}\n```",
    "```diff\n--- a/\x01\n+++ b/\x01\n@@ -42,7 +42,9 @@\n-    let v = map.get(&k).unwrap();\n"
    "+    let Some(v) = map.get(&k) else {\n+        return Err(Error::MissingPlaybook(k.clone()));\n"
    "+    };\n```",
    '```python\npath = f"data/scored-runs/{y}/{m:02d}/{d:02d}/{stem}.jsonl"\n'
    'print("→ wrote", len(rows), "rows\\t✓")\n```',
    '```json\n{"verdict": "accept", "grounded": 0.92, "citations": ["kb_v2#17", "lakehouse_arch_v1#3"]}\n```',
    '```ts\nconst id = "rag-" + sha256(`${runId}|${sigHash}`).slice(0, 16);\n'
    'if (!row.provenance?.sig_hash) throw new Error("missing provenance");\n```',
    "```sql\nSELECT category, count(*) AS n\nFROM scored_runs\nGROUP BY 1\nORDER BY n DESC;\n```",
    '```bash\ngrep -c \'"category":"accepted"\' data/scored-runs/2026/04/*/*.jsonl\n```',
    '```python\nPATTERN = re.compile(r"^\\s*(\\d+)\\.\\s+(?P<title>.+)$")\n'
    'assert PATTERN.match("1. Überblick") is not None\n```',
    '```go\nif err := w.Sync(); err != nil {\n\treturn fmt.Errorf("sync %q: %w", path, err)\n}\n```',
)
_NOTES = (
    "Pipeline → RAG corpus · SFT set · preference pairs; only the first two read this file.",
    "Café-grade résumé: the naïve retry is fine for now, but it hides the real failure.",
    "Größe der Partition überschreitet 3 MB — split by hour if this keeps growing.",
    "日本語のファイル名を含むパスも正しく処理すること。",
    "数据湖分区按日期组织；证据与评分文件路径一一对应。",
    "The observer cycled twice before settling; see the ladder log for rung 3 → 4.",
    "🦆 Duck-typed config keys make this fragile; prefer a typed struct.",
    "✅ Existing tests cover the happy path; ❌ nothing covers the torn-file case.",
    "Confidence is moderate: two findings cite lines that moved in the last commit.",
    "No change to the public API; the patch is local to \x01.",
    'Ref: PRD §3.2 ("nothing rejected ever reaches a training file").',
    "Latency budget: p50 120 ms → 95 ms, p99 1.8 s → 1.1 s after the cache fix.",
    "Naïve façade: the coördinator still serialises writes through one mutex.",
    "Reviewer's note — 👩‍💻 pairing session recommended before merging.",
    "Ünïcödé in identifiers is allowed by the lexer, so keep `normalize_path` NFC-only.",
    "한국어 주석은 유지하되 영어 요약을 추가할 것.",
    "Backslashes in Windows paths (C:\\lakehouse\\data) are out of scope here.",
    "Tabs\tinside\tcells are preserved verbatim by the exporter.",
)
# Rare characters that break line splitters which are not byte-exact about \n.
_EXOTIC_NOTES = (
    "Line separator inside a paragraph:\u2028still the same JSON line.",
    "NEL\u0085and form-feed\u000care legal inside JSON strings once escaped.",
    "Paragraph separator\u2029and a zero-width joiner: 👨\u200d👩\u200d👧.",
)
_FACT_TEMPLATES = (
    "- fact: `{a}` returns at most {n} hits (source: `\x01` L{m})",
    "- fact: `{a}` is called from `{b}` on every request",
    "- fact: rung {n} of the ladder escalates to the observer (confidence 0.{m})",
    "- fact: partitions are keyed by UTC date → `YYYY/MM/DD`",
    "- fact: `{a}` retries {n} times with jitter; budget {m} s",
    "- fact: permit B-{m} requires a structural review (§{n}.2)",
    "- escalation: observer disagreed with scrum on `\x01` ({n} findings unsupported)",
    "- fact: `{b}` writes JSONL with `\\n` after every line, including the last",
    "- fact: contractor risk markers: insurance ⚠️, licence ✅, history ⚠️×{n}",
)
_RISK_MARKERS = (
    "⚠️ **[high]** Insurance certificate expired {d} — coverage gap of {n} days",
    "⚠️ **[medium]** Licence class C-{n} does not cover structural steel",
    "✅ **[info]** Bond verified with issuer (ref {m})",
    "⚠️ **[high]** {n} open code-enforcement cases in the last 24 months",
    "⚠️ **[low]** Subcontractor list incomplete (missing électricien)",
    "✅ **[info]** Prior permits B-{m}, B-{n}0 closed without findings",
    "⚠️ **[medium]** Fee schedule disagrees with zoning–rules.yaml by {n} %",
)
_OUTCOME_ROWS = (
    "| ingest | ✅ ok | kb_v2#{n} |",
    "| score | ⚠️ degraded ({n} retries) | lakehouse_arch_v1#{m} |",
    "| export-rag | ✅ {m} rows | exports/rag/playbooks.jsonl |",
    "| export-sft | ❌ quarantined {n} | exports/quarantine/sft.jsonl |",
    "| observer | ⏳ cycle {n}/3 | observer.log:{m} |",
    "| apply | ✅ patch {n} hunks | \x01 |",
)
_CONTRACTORS = (
    "Acme Roofing LLC",
    "Ñandú & Hijos",
    "Müller Bau GmbH",
    "Østergaard Electric",
    "Brightline Plumbing",
    "株式会社 山田建設",
    "O'Neill & Sons",
    "Zoë Ferreira Design",
    "Kowalski Steel Sp. z o.o.",
    "Cedar & Pine Builders",
)
_MODELS = (
    "qwen2.5-coder:32b",
    "qwen2.5-coder:32b",
    "kimi-k2",
    "gpt-oss:120b",
    "deepseek-v3.1",
    "llama3.3:70b",
    "claude-sonnet-4",
    "",
)
_CORPORA: tuple[tuple[str, ...], ...] = (
    ("lakehouse_arch_v1", "lakehouse_symbols_v1"),
    ("kb_v2",),
    (),
    ("lakehouse_arch_v1",),
    ("permits_2026q1", "contractors_v3"),
    ("kb_v2", "lakehouse_symbols_v1"),
)
_PATHWAYS = (0, 0, 3, 17, 120, 1, 42)
_REASONS: dict[str, tuple[tuple[str, ...], ...]] = {
    "accepted": (
        ("observer verdict accept; grounded 0.92",),
        ("observer verdict accept; grounded 0.88", "all findings cite existing lines"),
        ("patch applies cleanly on \x01; tests green ✅",),
        ("ok",),
        ("scrum ladder converged at rung 2", "no hallucinated symbols"),
        ("grounding 0.95 · citations verified",),
    ),
    "partially_accepted": (
        ("3/5 findings grounded; 2 cite missing symbols",),
        ("patch applies with fuzz 2 on \x01", "one hunk rejected"),
        ("useful summary, severity over-stated",),
        ("observer verdict cycle → partial accept",),
    ),
    "rejected": (
        ("patch failed to apply on \x01",),
        ("observer verdict reject: hallucinated symbol `PlaybookMemory::evict_all`",),
        ("response truncated mid code fence",),
        ("cites a file that is not in the repo: crates/ghost/src/lib.rs", "grounding 0.12"),
        ("contradicts PRD §3.2 (firewall)",),
    ),
    "needs_human_review": (
        (),
        (),
        ("needs human: low grounding",),
        ("needs human: low grounding (0.41)", "observer abstained"),
        ("observer cycle limit reached (3/3)",),
        ("conflicting verdicts: scrum accept vs observer reject",),
    ),
}


@dataclass(frozen=True)
class _Pools:
    paths: tuple[str, ...]
    headings: dict[str, tuple[str, ...]]
    findings: tuple[str, ...]
    notes: tuple[str, ...]
    facts: tuple[str, ...]
    risks: tuple[str, ...]
    outcomes: tuple[str, ...]


@functools.lru_cache(maxsize=4)
def _pools(seed: int) -> _Pools:
    rng = random.Random(f"distill_duck.demo.pools:{seed}")
    paths: list[str] = []
    for crate in _CRATES:
        for sub in _RUST_SUBDIRS:
            for module in _RUST_MODULES:
                paths.append(f"crates/{crate}/src/{sub}{module}.rs")
    paths.extend(_TS_FILES)
    paths.extend(_OTHER_FILES)
    rng.shuffle(paths)
    # The odd paths (spaces, CJK, emoji) are few in a shuffled list of
    # thousands; put them up front so that small demos contain them too.
    paths = list(_OTHER_FILES) + [p for p in paths if p not in _OTHER_FILES]

    def fill(template: str) -> str:
        a, b = rng.sample(_SYMBOLS, 2)
        return template.format(a=a, b=b, n=rng.randint(2, 9), m=rng.randint(10, 999), d="2026-02-14")

    findings = []
    for _ in range(400):
        sev = rng.choice(_SEVERITIES)
        line = fill(rng.choice(_FINDINGS))
        findings.append(
            f"- **[{sev}]** {line} (`{_PATH}:{rng.randint(3, 900)}`) · confidence 0.{rng.randint(40, 99)}"
        )
    notes = list(_NOTES)
    facts = [fill(rng.choice(_FACT_TEMPLATES)) for _ in range(200)]
    risks = [fill(rng.choice(_RISK_MARKERS)) for _ in range(100)]
    outcomes = [fill(rng.choice(_OUTCOME_ROWS)) for _ in range(100)]
    headings = {
        "scrum_reviews": (
            f"# Review: `{_PATH}` vs. Lakehouse PRD",
            f"# Forensic audit — `{_PATH}`",
            f"# Review: `{_PATH}` (change proposal CP-{rng.randint(100, 999)})",
        ),
        "observer_reviews": tuple(
            f"## Observer review · `{_PATH}`\n\n**Verdict:** {v}" for v in ("accept", "reject", "cycle")
        ),
        "mode_experiments": (
            f"## Mode run · task_class=`{_TASK}`",
            f"## Mode experiment: `{_TASK}` on `{_PATH}`",
        ),
        "audits": (f"# Audit — `{_TASK}`", f"# Phase audit `{_TASK}` · findings by severity"),
        "auto_apply": (
            f"## Auto-apply: surgical patch for `{_PATH}`",
            f"## Auto-apply → `{_PATH}` (6-line budget)",
        ),
        "contract_analyses": (
            f"# Contractor analysis · `{_TASK}`",
            f"# Permit review — `{_TASK}` risk markers",
        ),
        "outcomes": ("## Scenario outcome report", f"## Per-event outcomes · replay `{_TASK}`"),
        "distilled_facts": ("### Distilled facts", f"### Facts extracted from `{_PATH}`"),
        "audit_facts": (f"### Audit facts · `{_TASK}`", "### Extracted audit facts"),
        "observer_escalations": (f"### Escalation digest · `{_PATH}`", "### Observer escalations"),
    }
    return _Pools(
        paths=tuple(paths),
        headings=headings,
        findings=tuple(findings),
        notes=tuple(notes),
        facts=tuple(facts),
        risks=tuple(risks),
        outcomes=tuple(outcomes),
    )


# --------------------------------------------------------------------------
# plan


@dataclass
class _Part:
    rel: str  # path relative to data/evidence and data/scored-runs
    date: str
    day_ms: int
    source: int  # index into _SOURCES
    n: int  # ordinary runs
    seed: int
    task_base: int
    prev_task_base: int  # -1: no earlier partition of this source
    prev_n: int
    offset_base: int
    faults: list[str] = field(default_factory=list)
    crlf: bool = False
    bom: bool = False
    no_final_newline: bool = False
    orphan: bool = False  # evidence only, no scored partner


@dataclass
class _Result:
    scored_lines: int = 0
    evidence_lines: int = 0
    blank_lines: int = 0
    bytes: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    moved: list[str] = field(default_factory=list)  # evidence lines for an orphan partition


def _day_ms(day: dt.date) -> int:
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp()) * 1000


def _split(total: int, weights: list[float]) -> list[int]:
    """Largest-remainder split of ``total`` proportional to ``weights``."""
    s = sum(weights)
    raw = [total * w / s for w in weights]
    out = [int(x) for x in raw]
    rest = total - sum(out)
    order = sorted(range(len(raw)), key=lambda i: (out[i] - raw[i], i))
    for i in order[:rest]:
        out[i] += 1
    return out


def _plan(runs: int, seed: int) -> tuple[list[_Part], list[_Part]]:
    rng = random.Random(seed)
    days = max(3, min(_MAX_DAYS, math.ceil(runs / _RUNS_PER_DAY)))
    per_source = _split(runs, [s.weight for s in _SOURCES])

    cells: list[tuple[int, int, int]] = []  # (day, source, n)
    for si, n_s in enumerate(per_source):
        if n_s == 0:
            continue
        k = min(days, max(1, math.ceil(n_s / _MAX_RECORDS_PER_FILE), n_s // 40))
        chosen = sorted(rng.sample(range(days), k))
        counts = _split(n_s, [rng.uniform(0.8, 1.2) for _ in range(k)])
        cells.extend((d, si, c) for d, c in zip(chosen, counts, strict=True) if c > 0)
    cells.sort()

    reps = max(1, runs // 20_000)
    fault_slots: dict[tuple[int, int], list[str]] = {}
    if cells:
        eligible = [c for c in cells if _SOURCES[c[1]].role != "extractor"] or cells
        for kind in _RECORD_FAULTS:
            for _ in range(reps):
                d, si, _n = rng.choice(eligible)
                fault_slots.setdefault((d, si), []).append(kind)

    parts: list[_Part] = []
    task_next = [0] * len(_SOURCES)
    offset_next = [rng.randrange(0, 400) for _ in _SOURCES]
    last: dict[int, _Part] = {}
    for d, si, n in cells:
        day = _FIRST_DAY + dt.timedelta(days=d)
        faults = fault_slots.get((d, si), [])
        reserve = n + _SLOTS_PER_FAULT * len(faults) + 1
        prev = last.get(si)
        part = _Part(
            rel=f"{day:%Y/%m/%d}/{_SOURCES[si].stem}.jsonl",
            date=day.isoformat(),
            day_ms=_day_ms(day),
            source=si,
            n=n,
            seed=rng.getrandbits(64),
            task_base=task_next[si],
            prev_task_base=prev.task_base if prev else -1,
            prev_n=prev.n if prev else 0,
            offset_base=offset_next[si],
            faults=faults,
        )
        task_next[si] += reserve
        offset_next[si] += reserve + rng.randrange(0, 20)
        last[si] = part
        parts.append(part)

    if parts:
        picks = rng.sample(range(len(parts)), 3) if len(parts) >= 3 else [0, 0, 0]
        parts[picks[0]].crlf = True
        parts[picks[1]].bom = True
        parts[picks[2]].no_final_newline = True

    # Evidence-only partitions dated before the first scored day: one that
    # always exists, plus one per source whose evidence was moved out of its
    # own partition (so moved lines keep their source class).
    main_orphan = SOURCE_STEMS.index("observer_reviews")
    orphan_sources = {main_orphan} | {
        p.source for p in parts if "scored_evidence_in_other_partition" in p.faults
    }
    orphans = [
        _Part(
            rel=f"{_ORPHAN_DAY:%Y/%m/%d}/{_SOURCES[si].stem}.jsonl",
            date=_ORPHAN_DAY.isoformat(),
            day_ms=_day_ms(_ORPHAN_DAY),
            source=si,
            n=max(3, min(200, runs // 500)) if si == main_orphan else 0,
            seed=rng.getrandbits(64),
            task_base=task_next[si] + 1_000_000,
            prev_task_base=-1,
            prev_n=0,
            offset_base=0,
            orphan=True,
        )
        for si in sorted(orphan_sources)
    ]
    return parts, orphans


# --------------------------------------------------------------------------
# partition generation


class _Gen:
    """Builds the lines of one partition pair."""

    def __init__(self, part: _Part, pools: _Pools) -> None:
        self.part = part
        self.pools = pools
        self.src = _SOURCES[part.source]
        self.rng = random.Random(part.seed)
        self.kb = f"data/_kb/{self.src.stem}.jsonl"
        slots = part.n + _SLOTS_PER_FAULT * len(part.faults) + 1
        self.step = max(2, (15 * 3600 * 1000) // slots)
        self.start_ms = part.day_ms + 6 * 3600 * 1000
        self.next_index = 0
        self.next_fault_task = part.task_base + part.n
        self.task_cache: dict[int, tuple[str, str]] = {}
        self.attempts: Counter[int] = Counter()
        src = self.src
        self.cut_a, self.cut_p, self.cut_r = src.mix[0], src.mix[0] + src.mix[1], sum(src.mix)

    # -- helpers ---------------------------------------------------------

    def _path_for(self, t: int) -> str:
        paths = self.pools.paths
        size = len(paths)
        p = paths[t % size]
        if t >= size:
            stem, dot, ext = p.rpartition(".")
            p = f"{stem}_v{t // size + 1}.{ext}" if dot else f"{p}_v{t // size + 1}"
        return p

    def _task(self, t: int) -> tuple[str, str]:
        """(task_id, file path) of task number ``t``."""
        hit = self.task_cache.get(t)
        if hit is not None:
            return hit
        src = self.src
        if src.task_style == "file":
            path = self._path_for(t)
            out = (f"{src.task_prefix}:{path}", path)
        else:
            path = self._path_for(t * 7 + 3)
            if src.task_style == "phase":
                out = (f"phase:p{t}", path)
            elif src.task_style == "permit":
                out = (f"permit:B-{1000 + t}", path)
            else:
                out = (f"{src.task_prefix}:{t}", path)
        self.task_cache[t] = out
        return out

    def _timestamp(self, ms: int) -> str:
        sod = (ms - self.part.day_ms) // 1000
        h, rem = divmod(sod, 3600)
        m, s = divmod(rem, 60)
        return f"{self.part.date}T{h:02d}:{m:02d}:{s:02d}.{ms % 1000:03d}Z"

    def _category(self) -> str:
        r = self.rng.random()
        if r < self.cut_a:
            return "accepted"
        if r < self.cut_p:
            return "partially_accepted"
        if r < self.cut_r:
            return "rejected"
        return "needs_human_review"

    def _notes(self, k: int) -> list[str]:
        rng = self.rng
        notes = rng.sample(self.pools.notes, k)
        if rng.random() < 0.03:
            notes.append(rng.choice(_EXOTIC_NOTES))
        return notes

    def _text(self, task_id: str, path: str, ms: int, attempt: int) -> str:
        rng = self.rng
        pools = self.pools
        body = self.src.body
        parts = [rng.choice(pools.headings[self.src.stem]), ""]
        if body in ("review", "patch"):
            parts.extend(self._notes(1))
            parts.append("")
            parts.append("## Findings")
            parts.extend(rng.choices(pools.findings, k=rng.randint(4, 10)))
            parts.append("")
            parts.append(rng.choice(_CODE_BLOCKS))
            parts.append("")
            parts.append("## Notes")
            parts.extend(self._notes(rng.randint(1, 4)))
        elif body == "contract":
            parts.append(f"Permit scope: `{_PATH}` · contractor history pulled from contractors_v3.")
            parts.append("")
            parts.append("## Risk markers")
            parts.extend(rng.choices(pools.risks, k=rng.randint(6, 14)))
            parts.append("")
            parts.append("## Notes")
            parts.extend(self._notes(rng.randint(3, 7)))
            parts.append("")
            parts.append(
                f"**Recommendation:** {rng.choice(('approve', 'approve with conditions', 'hold', 'deny'))}"
            )
        elif body == "outcome":
            parts.append("| event | outcome | citation |")
            parts.append("|---|---|---|")
            parts.extend(rng.choices(pools.outcomes, k=rng.randint(8, 18)))
            parts.append("")
            parts.extend(self._notes(rng.randint(3, 6)))
            parts.append("")
            parts.append(rng.choice(_CODE_BLOCKS))
        else:
            parts.extend(rng.choices(pools.facts, k=rng.randint(10, 22)))
            parts.append("")
            parts.extend(self._notes(rng.randint(1, 3)))
        parts.append("")
        parts.append("---")
        parts.append(
            f"_run {ms} · attempt {attempt} · grounded {rng.randint(0, 9)}/{rng.randint(9, 12)}"
            f" · {rng.randint(300, 9000)} ms_"
        )
        return "\n".join(parts).replace(_PATH, path).replace(_TASK, task_id)

    def record(
        self, task: int | None = None, category: str | None = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """A fresh (evidence, scored) pair; ``task=None`` starts a new task."""
        rng = self.rng
        src = self.src
        part = self.part
        i = self.next_index
        self.next_index += 1
        if task is None:
            task = self.next_fault_task
            self.next_fault_task += 1
        task_id, path = self._task(task)
        self.attempts[task] += 1
        attempt = self.attempts[task]
        if category is None:
            category = self._category()
        ms = self.start_ms + i * self.step + rng.randrange(self.step // 2)
        run_id = f"{src.run_prefix}:{ms}:{path}"
        offset = part.offset_base + i
        latency = rng.randint(300, 9000)
        if src.stem == "contract_analyses":
            r = rng.random()
            metadata: dict[str, Any] | None = (
                {"contractor": rng.choice(_CONTRACTORS)}
                if r < 0.55
                else {"contractor": ""}
                if r < 0.65
                else None
            )
        elif src.stem == "scrum_reviews":
            metadata = {"attempt": attempt, "ladder_rung": min(attempt, 4), "latency_ms": latency}
        else:
            metadata = {"latency_ms": latency} if rng.random() < 0.5 else None
        source_files = [] if src.stem == "outcomes" and rng.random() < 0.4 else [path]
        evidence: dict[str, Any] = {
            "run_id": run_id,
            "task_id": task_id,
            "text": self._text(task_id, path, ms, attempt),
            "model_role": src.role,
            "model_name": rng.choice(_MODELS),
            "source_files": source_files,
            "retrieved_context": {
                "matrix_corpora": list(rng.choice(_CORPORA)),
                "pathway_fingerprints_seen": rng.choice(_PATHWAYS),
            },
        }
        if metadata is not None:
            evidence["metadata"] = metadata
        evidence["provenance"] = {
            "source_file": self.kb,
            "line_offset": offset,
            "sig_hash": f"{rng.getrandbits(256):064x}",
            "recorded_at": self._timestamp(ms),
        }
        reasons = [r.replace(_PATH, path) for r in rng.choice(_REASONS[category])]
        scored: dict[str, Any] = {
            "evidence_run_id": run_id,
            "evidence_task_id": task_id,
            "category": category,
            "reasons": reasons,
            "provenance": {
                "source_file": self.kb,
                "line_offset": offset,
                "sig_hash": f"{rng.getrandbits(256):064x}",
                "recorded_at": self._timestamp(ms + rng.randint(30_000, 900_000)),
            },
        }
        return evidence, scored

    # -- ordinary runs ------------------------------------------------------

    def ordinary(self) -> tuple[list[str], list[str]]:
        rng = self.rng
        part = self.part
        n = part.n
        tasks: list[int] = []
        t = part.task_base
        reuse_span = max(1, part.prev_n // 8)
        while len(tasks) < n:
            size = rng.choice(_GROUP_SIZES)
            if part.prev_task_base >= 0 and rng.random() < _CROSS_PARTITION_REUSE:
                task = part.prev_task_base + rng.randrange(reuse_span)
            else:
                task = t
                t += 1
            tasks.extend([task] * size)
        del tasks[n:]
        # Attempts of one task stay close in time, as retries on a ladder do.
        for lo in range(0, n, 24):
            chunk = tasks[lo : lo + 24]
            rng.shuffle(chunk)
            tasks[lo : lo + 24] = chunk
        evidence: list[str] = []
        scored: list[str] = []
        for task in tasks:
            ev, sc = self.record(task)
            evidence.append(_dump(ev))
            scored.append(_dump(sc))
        return scored, evidence

    # -- faults -------------------------------------------------------------

    def fault(self, kind: str) -> tuple[list[str], list[str], list[str]]:
        """(scored lines, evidence lines, evidence lines for another partition)."""
        handler = getattr(self, "_f_" + kind)
        out: tuple[list[str], list[str], list[str]] = handler()
        return out

    def _accepted(self) -> tuple[dict[str, Any], dict[str, Any]]:
        return self.record(category="accepted")

    def _simple(self, ev: dict[str, Any], sc: dict[str, Any]) -> tuple[list[str], list[str], list[str]]:
        return [_dump(sc)], [_dump(ev)], []

    def _f_scored_truncated_line(self) -> tuple[list[str], list[str], list[str]]:
        ev, sc = self._accepted()
        line = _dump(sc)
        return [line[: len(line) // 2]], [_dump(ev)], []

    def _f_scored_json_array(self) -> tuple[list[str], list[str], list[str]]:
        return ["[1,2]"], [], []

    def _f_scored_json_null(self) -> tuple[list[str], list[str], list[str]]:
        return ["null"], [], []

    def _f_scored_nan(self) -> tuple[list[str], list[str], list[str]]:
        ev, sc = self._accepted()
        sc["provenance"]["line_offset"] = float("nan")
        return self._simple(ev, sc)

    def _f_scored_trailing_garbage(self) -> tuple[list[str], list[str], list[str]]:
        ev, sc = self._accepted()
        return [_dump(sc) + "}"], [_dump(ev)], []

    def _f_scored_nbsp_prefix(self) -> tuple[list[str], list[str], list[str]]:
        ev, sc = self._accepted()
        return ["\u00a0" + _dump(sc)], [_dump(ev)], []

    def _f_scored_lone_surrogate(self) -> tuple[list[str], list[str], list[str]]:
        ev, sc = self._accepted()
        sc["reasons"] = [f"grounding probe returned {_LONE} for the title", "observer verdict accept"]
        line = _dump(sc).replace("\\u0002", "\\udc00")
        return [line], [_dump(ev)], []

    def _f_scored_invalid_utf8(self) -> tuple[list[str], list[str], list[str]]:
        ev, sc = self._accepted()
        # Lone surrogates U+DC80..U+DCFF become raw bytes 0x80..0xFF under the
        # surrogateescape handler used when files are encoded.
        sc["reasons"] = [
            "caf\udce9 note from a latin-1 tool",
            "cut CJK \udce6\udc97 sequence",
            "stray \udcff byte",
        ]
        return self._simple(ev, sc)

    def _f_blank_lines(self) -> tuple[list[str], list[str], list[str]]:
        return ["", "   ", "\t", "\u00a0\u3000 "], ["", " \t "], []

    def _f_scored_missing_provenance(self) -> tuple[list[str], list[str], list[str]]:
        ev, sc = self._accepted()
        del sc["provenance"]
        return self._simple(ev, sc)

    def _f_scored_provenance_not_object(self) -> tuple[list[str], list[str], list[str]]:
        ev, sc = self._accepted()
        sc["provenance"] = f"{self.kb}#L{ev['provenance']['line_offset']}"
        return self._simple(ev, sc)

    def _f_scored_missing_sig_hash(self) -> tuple[list[str], list[str], list[str]]:
        ev, sc = self._accepted()
        del sc["provenance"]["sig_hash"]
        return self._simple(ev, sc)

    def _f_scored_empty_sig_hash(self) -> tuple[list[str], list[str], list[str]]:
        ev, sc = self._accepted()
        sc["provenance"]["sig_hash"] = ""
        return self._simple(ev, sc)

    def _f_scored_missing_evidence_run_id(self) -> tuple[list[str], list[str], list[str]]:
        ev, sc = self._accepted()
        del sc["evidence_run_id"]
        return self._simple(ev, sc)

    def _f_scored_unknown_run_id(self) -> tuple[list[str], list[str], list[str]]:
        _ev, sc = self._accepted()
        return [_dump(sc)], [], []

    def _f_scored_evidence_in_other_partition(self) -> tuple[list[str], list[str], list[str]]:
        ev, sc = self._accepted()
        return [_dump(sc)], [], [_dump(ev)]

    def _f_scored_bad_category(self) -> tuple[list[str], list[str], list[str]]:
        scored: list[str] = []
        evidence: list[str] = []
        for category in ("Accepted", "rejected "):
            ev, sc = self._accepted()
            sc["category"] = category
            scored.append(_dump(sc))
            evidence.append(_dump(ev))
        return scored, evidence, []

    def _f_scored_line_offset_string(self) -> tuple[list[str], list[str], list[str]]:
        ev, sc = self._accepted()
        sc["provenance"]["line_offset"] = str(sc["provenance"]["line_offset"])
        return self._simple(ev, sc)

    def _f_scored_line_offset_float(self) -> tuple[list[str], list[str], list[str]]:
        scored: list[str] = []
        evidence: list[str] = []
        for exponent in (False, True):
            ev, sc = self._accepted()
            offset = sc["provenance"]["line_offset"]
            line = _dump(sc).replace(
                f'"line_offset":{offset},', f'"line_offset":{offset}{"e0" if exponent else ".0"},'
            )
            scored.append(line)
            evidence.append(_dump(ev))
        return scored, evidence, []

    def _f_scored_line_offset_negative(self) -> tuple[list[str], list[str], list[str]]:
        ev, sc = self._accepted()
        sc["provenance"]["line_offset"] = -1
        return self._simple(ev, sc)

    def _f_scored_line_offset_huge(self) -> tuple[list[str], list[str], list[str]]:
        ev, sc = self._accepted()
        sc["provenance"]["line_offset"] = 2**63
        return self._simple(ev, sc)

    def _f_scored_reasons_string(self) -> tuple[list[str], list[str], list[str]]:
        ev, sc = self._accepted()
        sc["reasons"] = "observer verdict accept; grounded 0.88"
        return self._simple(ev, sc)

    def _f_scored_reasons_mixed_types(self) -> tuple[list[str], list[str], list[str]]:
        ev_a, sc_a = self._accepted()
        task = self.next_fault_task - 1
        sc_a["reasons"] = [None, 7, {"code": "R12"}, "grounded 0.91 after retry", "second string"]
        ev_r, sc_r = self.record(task=task, category="rejected")
        sc_r["reasons"] = []
        return [_dump(sc_a), _dump(sc_r)], [_dump(ev_a), _dump(ev_r)], []

    def _f_scored_missing_task_id(self) -> tuple[list[str], list[str], list[str]]:
        ev, sc = self._accepted()
        del sc["evidence_task_id"]
        return self._simple(ev, sc)

    def _f_scored_duplicate_line(self) -> tuple[list[str], list[str], list[str]]:
        ev, sc = self._accepted()
        line = _dump(sc)
        return [line, line], [_dump(ev)], []

    def _f_evidence_empty_text(self) -> tuple[list[str], list[str], list[str]]:
        ev, sc = self._accepted()
        ev["text"] = ""
        return self._simple(ev, sc)

    def _f_evidence_whitespace_text(self) -> tuple[list[str], list[str], list[str]]:
        ev, sc = self._accepted()
        ev["text"] = " \n\t\u00a0\u3000\r\n"
        return self._simple(ev, sc)

    def _f_evidence_missing_text(self) -> tuple[list[str], list[str], list[str]]:
        ev, sc = self._accepted()
        del ev["text"]
        return self._simple(ev, sc)

    def _f_evidence_missing_source_file(self) -> tuple[list[str], list[str], list[str]]:
        ev, sc = self._accepted()
        del ev["provenance"]["source_file"]
        return self._simple(ev, sc)

    def _f_evidence_not_json(self) -> tuple[list[str], list[str], list[str]]:
        ev, sc = self._accepted()
        line = _dump(ev)
        return [_dump(sc)], [line[: len(line) // 3]], []

    def _f_evidence_not_object(self) -> tuple[list[str], list[str], list[str]]:
        return [], ["[]", "null"], []

    def _f_evidence_missing_run_id(self) -> tuple[list[str], list[str], list[str]]:
        ev, sc = self._accepted()
        del ev["run_id"]
        return self._simple(ev, sc)

    def _f_evidence_run_id_wrong_type(self) -> tuple[list[str], list[str], list[str]]:
        ev, sc = self._accepted()
        ev["run_id"] = int(ev["run_id"].split(":")[1])
        return self._simple(ev, sc)

    def _f_evidence_duplicate_run_id(self) -> tuple[list[str], list[str], list[str]]:
        ev, sc = self._accepted()
        stale = dict(ev)
        stale["text"] = ""
        stale["provenance"] = dict(ev["provenance"], sig_hash=f"{self.rng.getrandbits(256):064x}")
        # Last line wins: the stale empty draft comes first.
        return [_dump(sc)], [_dump(stale), _dump(ev)], []

    def _f_evidence_wrong_types(self) -> tuple[list[str], list[str], list[str]]:
        scored: list[str] = []
        evidence: list[str] = []
        ev, sc = self._accepted()
        path = ev["source_files"][0] if ev["source_files"] else self._task(0)[1]
        ev["retrieved_context"]["pathway_fingerprints_seen"] = "7"
        ev["source_files"] = path
        scored.append(_dump(sc))
        evidence.append(_dump(ev))
        ev, sc = self._accepted()
        ev["retrieved_context"]["pathway_fingerprints_seen"] = 2.5
        ev["source_files"] = [None, 3, path]
        ev["model_name"] = 5
        ev["retrieved_context"]["matrix_corpora"] = ["kb_v2", None, 1]
        scored.append(_dump(sc))
        evidence.append(_dump(ev))
        return scored, evidence, []

    def _f_preference_identical_texts(self) -> tuple[list[str], list[str], list[str]]:
        scored: list[str] = []
        evidence: list[str] = []
        for suffix in ("", "\n  \n"):
            ev_a, sc_a = self._accepted()
            task = self.next_fault_task - 1
            ev_r, sc_r = self.record(task=task, category="rejected")
            ev_r["text"] = ev_a["text"] + suffix
            scored += [_dump(sc_a), _dump(sc_r)]
            evidence += [_dump(ev_a), _dump(ev_r)]
        return scored, evidence, []

    def _f_preference_self_pairing(self) -> tuple[list[str], list[str], list[str]]:
        ev, sc = self._accepted()
        again = dict(sc)
        again["category"] = "rejected"
        again["reasons"] = ["observer verdict reject on re-score"]
        again["provenance"] = dict(sc["provenance"], sig_hash=f"{self.rng.getrandbits(256):064x}")
        return [_dump(sc), _dump(again)], [_dump(ev)], []


# The spec's whitespace: JavaScript's String.prototype.trim set.
_JS_WHITESPACE = (
    "\t\n\x0b\x0c\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000\ufeff"
)


def _is_blank(line: str) -> bool:
    return not line.strip(_JS_WHITESPACE)


def _merge(rng: random.Random, base: list[str], extra: list[str]) -> list[str]:
    """Insert ``extra`` (order kept) between lines of ``base``, never first or last."""
    if not extra:
        return base
    m = len(base)
    slots = sorted(rng.randrange(1, m) if m > 1 else m for _ in extra)
    out: list[str] = []
    prev = 0
    for slot, line in zip(slots, extra, strict=True):
        out.extend(base[prev:slot])
        out.append(line)
        prev = slot
    out.extend(base[prev:])
    return out


def _encode(lines: list[str], part: _Part) -> bytes:
    sep = "\r\n" if part.crlf else "\n"
    text = sep.join(lines)
    if lines and not part.no_final_newline:
        text += sep
    if part.bom:
        text = "\ufeff" + text
    return text.encode("utf-8", "surrogateescape")


def _write(path: pathlib.Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(data)


def _generate(part: _Part, pools: _Pools, extra_evidence: list[str]) -> tuple[list[str], list[str], _Result]:
    gen = _Gen(part, pools)
    result = _Result()
    scored, evidence = gen.ordinary()
    extra_scored: list[str] = []
    extra_ev: list[str] = []
    for kind in part.faults:
        s, e, moved = gen.fault(kind)
        extra_scored += s
        extra_ev += e
        result.moved += moved
        result.faults[kind] += 1
    extra_ev += extra_evidence
    scored = _merge(gen.rng, scored, extra_scored)
    evidence = _merge(gen.rng, evidence, extra_ev)
    for flag, kind in zip((part.crlf, part.bom, part.no_final_newline), _FILE_FAULTS, strict=True):
        if flag:
            result.faults[kind] += 1
    return scored, evidence, result


def _count(result: _Result, scored: list[str] | None, evidence: list[str]) -> None:
    for lines, attr in ((scored, "scored_lines"), (evidence, "evidence_lines")):
        if lines is None:
            continue
        blank = sum(1 for line in lines if _is_blank(line))
        setattr(result, attr, getattr(result, attr) + len(lines) - blank)
        result.blank_lines += blank


def _write_part(part: _Part, root: str, seed: int, extra_evidence: list[str] | None = None) -> _Result:
    pools = _pools(seed)
    scored, evidence, result = _generate(part, pools, extra_evidence or [])
    base = pathlib.Path(root) / "data"
    ev_bytes = _encode(evidence, part)
    _write(base / "evidence" / part.rel, ev_bytes)
    result.bytes += len(ev_bytes)
    if part.orphan:
        _count(result, None, evidence)
    else:
        sc_bytes = _encode(scored, part)
        _write(base / "scored-runs" / part.rel, sc_bytes)
        result.bytes += len(sc_bytes)
        _count(result, scored, evidence)
    return result


def _write_ignored(root: pathlib.Path, parts: list[_Part], seed: int) -> tuple[int, int]:
    """Files discovery must skip; returns (file count, bytes)."""
    data = root / "data"
    day = parts[0].rel.rsplit("/", 1)[0] if parts else f"{_FIRST_DAY:%Y/%m/%d}"
    # Plausible scored content so that wrongly discovering these files shows up
    # in the counts.
    sample = _Part(
        rel=f"{day}/scrum_reviews.jsonl",
        date="2026-04-01",
        day_ms=_day_ms(dt.date(2026, 4, 1)),
        source=SOURCE_STEMS.index("scrum_reviews"),
        n=0,
        seed=seed,
        task_base=0,
        prev_task_base=-1,
        prev_n=0,
        offset_base=0,
    )
    gen = _Gen(sample, _pools(seed))
    lines = "".join(_dump(gen.record(category="accepted")[1]) + "\n" for _ in range(3)).encode()
    readme = data / "evidence" / "2026" / "04" / "README.md"
    files = {
        data / "scored-runs" / "2026" / "04" / "stray.jsonl": lines,
        data / "scored-runs" / day / "notes.json": b'{"note":"not a partition: wrong extension"}\n',
        data / "scored-runs" / day / "audits.JSONL": lines,
        data / "scored-runs" / day / "nested" / "scrum_reviews.jsonl": lines,
        readme: "# Evidence partitions\n\nYYYY/MM/DD/<stem>.jsonl · généré\n".encode(),
    }
    for path, content in files.items():
        _write(path, content)
    return len(files), sum(len(c) for c in files.values())


def _fork_is_safe() -> bool:
    """Fork only a single-threaded process (no Python or native threads).

    Fork rather than spawn/forkserver: those re-import ``__main__`` (which fails
    for stdin or REPL callers) and the whole package in every worker.
    """
    try:
        return sys.platform.startswith("linux") and len(os.listdir("/proc/self/task")) == 1
    except OSError:
        return False


def write_demo(root: pathlib.Path, runs: int = 2000, seed: int = 7) -> dict[str, int]:
    """Write a deterministic sample lakehouse under ``root/data/...``; return counts.

    ``runs`` ordinary runs (one evidence and one scored line each) are spread
    over dated partitions; fault records come on top of them. Existing files
    with the same names are overwritten, nothing else is removed.

    Counts: ``runs``; ``scored_files`` / ``evidence_files`` (discoverable
    partition files); ``ignored_files`` (files under ``data/`` that discovery
    must skip); ``files`` (all written); ``scored_lines`` / ``evidence_lines``
    (non-blank lines of the partition files, i.e. records); ``blank_lines``;
    ``bytes`` (all written); ``faults`` (fault occurrences) and one
    ``fault:<kind>`` per entry of ``FAULT_KINDS``.
    """
    if runs < 0:
        raise ValueError("runs must be >= 0")
    root = pathlib.Path(root)
    parts, orphans = _plan(runs, seed)
    _pools(seed)  # build before forking so workers inherit it

    results: list[_Result]
    workers = min(os.cpu_count() or 1, 8)
    if runs >= _PARALLEL_THRESHOLD and workers > 1 and _fork_is_safe():
        import multiprocessing

        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            # Biggest first keeps the workers busy until the end.
            order = sorted(range(len(parts)), key=lambda i: -parts[i].n)
            futures = {i: pool.submit(_write_part, parts[i], str(root), seed) for i in order}
            results = [futures[i].result() for i in range(len(parts))]
    else:
        results = [_write_part(p, str(root), seed) for p in parts]

    moved: dict[int, list[str]] = {}
    for part, result in zip(parts, results, strict=True):
        moved.setdefault(part.source, []).extend(result.moved)
    for orphan in orphans:
        extra = moved.get(orphan.source, [])
        if orphan.n:
            extra.append('{"run_id": "truncated')
        orphan_result = _write_part(orphan, str(root), seed, extra)
        orphan_result.faults["orphan_evidence_file"] += 1
        results.append(orphan_result)

    ignored, ignored_bytes = _write_ignored(root, parts, seed)
    faults: Counter[str] = Counter()
    for r in results:
        faults.update(r.faults)
    faults["ignored_files"] += 1

    counts: dict[str, int] = {
        "runs": runs,
        "scored_files": len(parts),
        "evidence_files": len(parts) + len(orphans),
        "ignored_files": ignored,
        "files": 2 * len(parts) + len(orphans) + ignored,
        "scored_lines": sum(r.scored_lines for r in results),
        "evidence_lines": sum(r.evidence_lines for r in results),
        "blank_lines": sum(r.blank_lines for r in results),
        "bytes": sum(r.bytes for r in results) + ignored_bytes,
        "faults": sum(faults.values()),
    }
    for kind in FAULT_KINDS:
        counts[f"fault:{kind}"] = faults[kind]
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m distill_duck.demo", description="Write a sample lakehouse."
    )
    parser.add_argument("root", type=pathlib.Path)
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    args.root.mkdir(parents=True, exist_ok=True)
    print(json.dumps(write_demo(args.root, args.runs, args.seed), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
