"""reports/distillation/runs.jsonl: one line per exporter run, which the warehouse's
``runs`` relation reads."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from distill_duck.lakehouse import RUNS_HISTORY, Lakehouse
from distill_duck.outputs import append_atomically
from distill_duck.session import RunOptions


def run_id_of(started_at: str, options: RunOptions) -> str:
    """Sortable by time; the root lock allows one run per root at a time, so the start
    time and the options tell runs apart."""
    seed = json.dumps([started_at, options.context()], sort_keys=True)
    suffix = hashlib.sha256(seed.encode()).hexdigest()
    return started_at.replace("-", "").replace(":", "") + "-" + suffix[:6]


def record_runs(lake: Lakehouse, summaries: dict[str, dict[str, Any]], options: RunOptions,
                started_at: str) -> str:
    """Append one line per exporter to the run history; return the run id."""
    run_id = run_id_of(started_at, options)
    finished_at = options.clock()
    lines = "".join(
        json.dumps({
            "run_id": run_id, "exporter": name, "started_at": started_at, "finished_at": finished_at,
            "recorded_at": options.recorded_at, "include_review": options.include_review,
            "include_partial": options.include_partial, "max_pairs_per_task": options.max_pairs_per_task,
            **{k: v for k, v in summary.items() if k not in ("exporter", "dry_run")},
        }, ensure_ascii=False) + "\n"
        for name, summary in summaries.items()
    )
    append_atomically(lake.path(RUNS_HISTORY), lines.encode("utf-8"))
    return run_id
