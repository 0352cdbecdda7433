"""The Spark session an export run uses (``--engine spark``).

``--spark-master URL`` or ``$SPARK_MASTER`` names the cluster (default ``local[2]``); any
other setting comes the usual way (``spark-submit --conf``, ``$SPARK_HOME/conf``), and a
session that already exists (under spark-submit) is used as it is, with the settings the
models need for DuckDB's semantics added.
"""

from __future__ import annotations

import os
from typing import Any

from distill_duck.errors import UsageError

DEFAULT_MASTER = "local[2]"
# what the translated models rely on (see engines/spark_sql.py)
REQUIRED = {
    # DuckDB gives NULL where ANSI Spark raises (a list index out of range, a failed cast)
    "spark.sql.ansi.enabled": "false",
    # DuckDB's JSON reader keeps duplicate keys; Spark's refuses the whole line otherwise
    "spark.sql.variant.allowDuplicateKeys": "true",
    "spark.sql.session.timeZone": "UTC",
}


# settings for a session this process makes (a cluster's own configuration comes first:
# spark-submit --conf, spark-defaults.conf)
DEFAULTS = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    # partition files are many and small: pack them by size, not one task per file
    "spark.sql.files.openCostInBytes": str(64 << 10),
}


def spark_session(master: str | None = None) -> Any:
    """The process's Spark session (made on first use)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as e:
        raise UsageError("--engine spark needs pyspark: pip install 'distill-duck[spark]' "
                         "(and a Java 17 runtime)") from e
    builder = SparkSession.builder.appName("distill-duck")
    master = master or os.environ.get("SPARK_MASTER")
    builder = builder.master(master or DEFAULT_MASTER) if master or not _submitted() else builder
    shuffle = os.environ.get("DISTILL_DUCK_SPARK_SHUFFLE_PARTITIONS", "4")  # (read when the session is made)
    for key, value in {**DEFAULTS, "spark.sql.shuffle.partitions": shuffle}.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    for key, value in REQUIRED.items():
        spark.conf.set(key, value)
    spark.sparkContext.setLogLevel(os.environ.get("DISTILL_DUCK_SPARK_LOG_LEVEL", "ERROR"))
    return spark


def _submitted() -> bool:
    """Under spark-submit (which starts the JVM and hands Python its gateway) the master is
    already set."""
    return bool(os.environ.get("PYSPARK_GATEWAY_PORT"))
