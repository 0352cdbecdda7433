"""Run receipts: what went in, what came out, and that the firewall held.

Each real run writes ``reports/distillation/<run_id>/receipt.json`` and refreshes
``reports/distillation/latest.md``. The receipt maps onto an OpenLineage RunEvent:
``run_id`` -> run.runId, ``tool`` -> producer / job.name, ``inputs``/``outputs`` -> the
input and output datasets (namespace: the root, name: the relative path, with the sha256
and byte size as facets), ``summaries``/``category_counts`` -> an output statistics facet,
``validation`` -> a dataQualityAssertions facet, ``git`` -> a sourceCode facet.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import subprocess
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from distill_duck.exporters import COMMON_SUMMARY_KEYS
from distill_duck.lakehouse import file_stat
from distill_duck.outputs import replace_atomically

REPORTS_DIR = "reports/distillation"
# summary keys that are not counts of the latest.md table
NOT_COUNTS = ("records_redacted", "safety_gates")
# the sha256 of each input and output file as an earlier run found it (FactsCache), under
# <root>/.distill_duck/
FACTS_FILE = "file_facts.json"


def file_facts(path: Path) -> dict[str, Any] | None:
    """Size, sha256 and line count of a file (None when it does not exist)."""
    if not path.is_file():
        return None
    digest, size, lines = hashlib.sha256(), 0, 0
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
            size += len(chunk)
            lines += chunk.count(b"\n")
    return {"bytes": size, "sha256": digest.hexdigest(), "lines": lines}


class FactsCache:
    """file_facts kept between runs (``<root>/.distill_duck/file_facts.json``), by each file's
    size, mtime, ctime, inode and device (lakehouse.file_stat), the input cache's test of a
    changed file. A receipt names every input and output with its sha256, and reading a
    year of partitions to hash them again each night would make every run cost the whole
    history: a file whose stat is what it was when a run hashed it is not read again."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.known: dict[str, list[Any]] = {}
        self.seen: dict[str, list[Any]] = {}
        if path is not None:
            with contextlib.suppress(OSError, ValueError):
                loaded = json.loads(path.read_text("utf-8"))
                if isinstance(loaded, dict):
                    self.known = loaded

    def facts(self, root: Path, rel: str) -> dict[str, Any] | None:
        path = root / rel
        try:
            stat = file_stat(path)
        except OSError:
            return None
        hit = self.known.get(rel)
        if isinstance(hit, list) and len(hit) == 2 and hit[0] == stat:
            self.seen[rel] = hit
            return dict(hit[1])
        facts = file_facts(path)
        with contextlib.suppress(OSError):
            if facts is not None and file_stat(path) == stat:  # not written to while it was read
                self.known[rel] = self.seen[rel] = [stat, facts]
        return facts

    def save(self) -> None:
        """Keep the files this run looked at (a vanished file's entry goes)."""
        if self.path is not None:
            data = json.dumps(self.seen, sort_keys=True).encode("utf-8")
            replace_atomically(self.path, lambda tmp: tmp.write_bytes(data))


def facts_of(root: Path, rels: list[str],
             cache: FactsCache | None = None) -> dict[str, dict[str, Any] | None]:
    """file_facts for many root-relative files; hashlib releases the GIL, so threads help."""
    cache = cache or FactsCache(None)
    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(rels, pool.map(lambda r: cache.facts(root, r), rels), strict=True))


def git_state(root: Path) -> dict[str, Any] | None:
    """Commit, branch and dirty flag of the root when it is inside a git work tree."""
    def git(*args: str) -> str | None:
        try:
            p = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return p.stdout.strip() if p.returncode == 0 else None

    if git("rev-parse", "--is-inside-work-tree") != "true":
        return None
    status = git("status", "--porcelain", "--untracked-files=no")
    return {
        "commit": git("rev-parse", "HEAD"),
        "branch": git("rev-parse", "--abbrev-ref", "HEAD"),
        "dirty": None if status is None else bool(status),
    }


def write_receipt(root: Path, receipt: dict[str, Any], exporters: Iterable[str] = ()) -> Path:
    """Write a run's receipt and refresh latest.md (exporters: the order to list them in)."""
    target = root / REPORTS_DIR / receipt["run_id"] / "receipt.json"
    data = (json.dumps(receipt, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    replace_atomically(target, lambda tmp: tmp.write_bytes(data))
    write_latest(root, exporters)
    return target


def latest_receipts(root: Path) -> dict[str, dict[str, Any]]:
    """The most recent receipt of each exporter (run ids sort by time)."""
    latest: dict[str, dict[str, Any]] = {}
    base = root / REPORTS_DIR
    for path in sorted(base.glob("*/receipt.json")) if base.is_dir() else []:
        try:
            receipt = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            continue
        for exporter in receipt.get("summaries", {}):
            latest[exporter] = receipt
    return latest


def write_latest(root: Path, exporters: Iterable[str] = ()) -> Path:
    target = root / REPORTS_DIR / "latest.md"
    text = render_latest(latest_receipts(root), exporters)
    replace_atomically(target, lambda tmp: tmp.write_text(text, "utf-8"))
    return target


def render_latest(latest: dict[str, dict[str, Any]], exporters: Iterable[str] = ()) -> str:
    """Each exporter's latest run: the given ones in their order, then any other found."""
    out = ["# distill_duck: latest run of each exporter", ""]
    order = list(dict.fromkeys([*exporters, *sorted(latest)]))
    for exporter in order:
        receipt = latest.get(exporter)
        if receipt is None:
            continue
        s = receipt["summaries"][exporter]
        ok = "passed" if receipt["validation"]["passed"] else "**FAILED**"
        out += [
            f"## {exporter}",
            "",
            f"Run `{receipt['run_id']}` ({receipt['started_at']} to {receipt['finished_at']}), "
            f"distill-duck {receipt['tool']['version']}; validation {ok}.",
            "",
            "| count | value |",
            "|---|---|",
        ]
        # SPEC 11's counts, then those the exporter adds (exporters.toml `extra`)
        extra = [k for k in s if k not in COMMON_SUMMARY_KEYS and k not in NOT_COUNTS]
        for key in ("records_read", "records_exported", "records_quarantined", "skipped_existing",
                    "input_errors", *extra):
            if key in s:
                out.append(f"| {key} | {s[key]} |")
        out += ["", "| quarantine reason | records |", "|---|---|"]
        reasons = s["quarantine_by_reason"].items()
        out += [f"| {reason} | {n} |" for reason, n in reasons] or ["| (none) | 0 |"]
        out += ["", f"Output: `{s['output_path']}`.", ""]
    return "\n".join(out)
