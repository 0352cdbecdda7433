"""Writing the lakehouse: encode each partition's lines (CRLF, BOM, blank lines), write
the files, the ignored decoys beside them, and the partitions in parallel for big demos."""

from __future__ import annotations

import datetime as dt
import os
import pathlib
import random
import sys
from collections import Counter
from concurrent.futures import ProcessPoolExecutor

from distill_duck.demo.fragments import _Pools, _pools
from distill_duck.demo.plan import _day_ms, _Part, _plan, _Result
from distill_duck.demo.records import _dump, _Gen
from distill_duck.demo.sources import _FILE_FAULTS, _FIRST_DAY, FAULT_KINDS, SOURCE_STEMS

_PARALLEL_THRESHOLD = 50_000


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
