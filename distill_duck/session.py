"""What every command starts from: the run options and a DuckDB connection with our limits.

Lower layers (health, report, dataset) import these without the export orchestrator.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from distill_duck.engines import DEFAULT as DEFAULT_ENGINE
from distill_duck.safety import SafetyGates
from distill_duck.sqlquote import lit


def now_iso() -> str:
    """Now, formatted like 2026-04-27T03:57:40.123Z (SPEC section 3)."""
    t = datetime.now(UTC)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


@dataclass(frozen=True)
class RunOptions:
    recorded_at: str = field(default_factory=now_iso)
    include_review: bool = False
    include_partial: bool = False
    max_pairs_per_task: int = 5
    dry_run: bool = False
    safety: SafetyGates = field(default_factory=SafetyGates)
    # where run times come from; fixed only to make the example warehouse reproducible
    clock: Callable[[], str] = field(default=now_iso, compare=False, repr=False)
    # a user's project folder whose sql/ models add to or replace the built-in ones
    project: Path | None = None
    # where the record-level models run (distill_duck/engines): duckdb, or spark at a master
    engine: str = DEFAULT_ENGINE
    spark_master: str | None = None

    def context(self) -> dict[str, Any]:
        """The run options as template variables (the safety gates' flattened)."""
        values = asdict(self)
        del values["clock"], values["safety"], values["project"], values["engine"], values["spark_master"]
        return {**values, **self.safety.context()}

    def recorded(self) -> dict[str, Any]:
        """The options as a receipt and the run history record them."""
        values = asdict(self)
        del values["clock"], values["dry_run"], values["safety"], values["project"], values["spark_master"]
        if self.engine == DEFAULT_ENGINE:
            del values["engine"]  # (records of the default engine read as they always did)
        return {**values, "safety_gates": self.safety.settings()}


def connect(database: str = ":memory:", spill_dir: Path | None = None) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with the limits the runner always sets."""
    config: dict[str, Any] = {"memory_limit": os.environ.get("DISTILL_DUCK_MEMORY_LIMIT", "1536MB")}
    con = duckdb.connect(database, config=config)
    # Every table a run writes (scratch, input cache, warehouse) is zstd-compressed.
    # DuckDB's default tries each method on every column segment, and that analysis of long
    # texts cost more than the rest of publishing; zstd alone was 3x faster and 3x smaller
    # on the demo corpus, and the smaller scratch files halve the I/O (BENCHMARKS.md).
    con.execute("SET force_compression = 'zstd'")
    if spill_dir is not None:
        spill_dir.mkdir(parents=True, exist_ok=True)
        con.execute(f"SET temp_directory = {lit(str(spill_dir))}")
    return con
