"""The lines of one partition pair: ordinary evidence and scored records, several
attempts per task, and the faults its plan assigns."""

from __future__ import annotations

import json
import random
from collections import Counter
from typing import Any

from distill_duck.demo.fragments import (
    _CODE_BLOCKS,
    _CONTRACTORS,
    _CORPORA,
    _EXOTIC_NOTES,
    _MODELS,
    _PATHWAYS,
    _REASONS,
    _Pools,
)
from distill_duck.demo.plan import _Part
from distill_duck.demo.sources import (
    _CROSS_PARTITION_REUSE,
    _GROUP_SIZES,
    _LONE,
    _PATH,
    _SLOTS_PER_FAULT,
    _SOURCES,
    _TASK,
)

_encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False)
_dump = _encoder.encode


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
