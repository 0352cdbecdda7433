"""`distill-duck report`: one self-contained HTML page of charts over the warehouse.

The numbers come from the ``sql/report/`` models, run as queries against the published
warehouse (read-only); the page is a jinja2 template with inline SVG, so it needs no
network and no script to view.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import jinja2

from distill_duck.errors import DistillError
from distill_duck.lakehouse import WAREHOUSE
from distill_duck.outputs import replace_atomically
from distill_duck.pipeline import RunOptions
from distill_duck.receipts import REPORTS_DIR, latest_receipts
from distill_duck.runner import Project

TEMPLATES = Path(__file__).resolve().parent / "templates"
CHARTS = {
    "report_category_mix": "Scored records by category",
    "report_quarantine_reasons": "Quarantined rows by exporter and reason",
    "report_safety_gates": "Refused by the safety gates, by gate and exporter",
    "report_exports_by_source": "Exported rows by dataset and source class",
    "report_input_errors": "Input errors per partition file",
}


def build_report(root: Path, target: Path | None = None) -> Path:
    warehouse = root / WAREHOUSE
    if not warehouse.is_file():
        raise DistillError(f"no warehouse at {warehouse}; run `distill-duck export-all --root {root}` first")
    project = Project(RunOptions().context())
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        project.install_macros(con)
        charts = [_chart(title, con.execute(project.models[name].sql)) for name, title in CHARTS.items()]
    except duckdb.Error as e:
        raise DistillError(f"cannot read {warehouse}: {' '.join(str(e).split())}; re-run an export") from e
    finally:
        con.close()
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True)
    page = env.get_template("report.html.j2")
    html = page.render(charts=charts, latest=latest_receipts(root), root=str(root))
    target = target or root / REPORTS_DIR / "report.html"
    replace_atomically(target, lambda tmp: tmp.write_text(html, "utf-8"))
    return target


def _chart(title: str, cur: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Rows (series?, label, value) as bar groups with widths scaled to the largest value."""
    columns = [d[0] for d in cur.description or []]
    rows = [dict(zip(columns, r, strict=True)) for r in cur.fetchall()]
    top = max((r["value"] for r in rows), default=0) or 1
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault(r.get("series") or "", []).append(
            {"label": r["label"], "value": r["value"], "width": round(100 * r["value"] / top, 2)})
    return {"title": title, "groups": groups, "total": sum(r["value"] for r in rows)}
