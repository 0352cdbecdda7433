"""The text fragments records are built from (paths, headings, findings, notes, facts),
drawn once per seed so every partition shares them."""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass

from distill_duck.demo.sources import _PATH, _TASK

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
