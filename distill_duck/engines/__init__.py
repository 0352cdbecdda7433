"""Where the record-level models run: DuckDB in this process (the default), or Apache Spark
(the same models, transpiled by :mod:`distill_duck.engines.spark_sql`)."""

from __future__ import annotations

ENGINES = ("duckdb", "spark")
DEFAULT = ENGINES[0]
