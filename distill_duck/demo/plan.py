"""The plan: how many runs go into which dated partition, with which faults, before any
line is written."""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import Counter
from dataclasses import dataclass, field

from distill_duck.demo.sources import (
    _FIRST_DAY,
    _MAX_DAYS,
    _MAX_RECORDS_PER_FILE,
    _ORPHAN_DAY,
    _RECORD_FAULTS,
    _RUNS_PER_DAY,
    _SLOTS_PER_FAULT,
    _SOURCES,
    SOURCE_STEMS,
)


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
