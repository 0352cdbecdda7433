"""`distill-duck health`: audit the output files on disk (SPEC section 11).

The checks are the SQL model ``health_violations``; this module runs it and reports.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from distill_duck.lakehouse import OUTPUTS, Lakehouse
from distill_duck.pipeline import RunOptions, connect, set_inputs
from distill_duck.runner import Project


@dataclass
class HealthReport:
    files: dict[str, int]  # file -> number of lines on disk
    violations: list[dict[str, Any]]

    @property
    def ok(self) -> bool:
        return not self.violations

    def as_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "files": self.files, "violations": self.violations}


def audit(root: Path) -> HealthReport:
    lake = Lakehouse(root)
    existing = [p for p in OUTPUTS if lake.path(p).is_file()]
    project = Project(RunOptions().context())
    con = connect()  # in memory, and no spill directory: health writes nothing
    try:
        set_inputs(con, lake, existing)
        project.run(con, ["health_violations", "health_safety_violations"])
        cur = con.execute("SELECT file, line, check_name, message FROM health_violations UNION ALL "
                          "SELECT file, line, check_name, message FROM health_safety_violations "
                          "ORDER BY file, line, check_name")
        violations = [dict(zip(("file", "line", "check", "message"), row, strict=True))
                      for row in cur.fetchall()]
    finally:
        con.close()
    files = {p: _count_lines(lake.path(p)) for p in existing}
    return HealthReport(files, violations)


def _count_lines(path: Path) -> int:
    with open(path, "rb") as f:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))
