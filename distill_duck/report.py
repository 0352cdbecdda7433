"""`distill-duck report`: one self-contained HTML page of charts over the warehouse.

The numbers come from the ``sql/report/`` models, run as queries against the published
warehouse (read-only); the page is a jinja2 template with inline SVG, so it needs no
network and no script to view.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import duckdb
import jinja2

from distill_duck.errors import DistillError
from distill_duck.lakehouse import WAREHOUSE
from distill_duck.outputs import replace_atomically
from distill_duck.receipts import REPORTS_DIR, latest_receipts
from distill_duck.runner import Project
from distill_duck.session import RunOptions

TEMPLATES = Path(__file__).resolve().parent / "templates"
# model -> (title, what a value counts, what a bar is)
CHARTS = {
    "report_category_mix": ("Scored records by category", "records", "categories"),
    "report_quarantine_reasons": ("Quarantined rows by exporter and reason", "rows", "reasons"),
    "report_safety_gates": ("Refused by the safety gates, by gate and exporter", "rows", "gates"),
    "report_exports_by_source": ("Exported rows by dataset and source class", "rows", "source classes"),
    "report_input_errors": ("Input errors per partition file", "errors", "files"),
    "report_runs_over_time": ("Rows exported per run", "rows", "runs"),
}
# characters a label may hold that a reader cannot see or tell apart from a space
_INVISIBLE = re.compile(r"[\s\u00a0\u200b-\u200f\u2028\u2029\u202f\u2060\ufeff\x00-\x1f\x7f]")


def build_report(root: Path, target: Path | None = None) -> Path:
    warehouse = root / WAREHOUSE
    if not warehouse.is_file():
        raise DistillError(f"no warehouse at {warehouse}; run `distill-duck export-all --root {root}` first")
    project = Project(RunOptions().context())
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        project.install_macros(con)
        charts = [_chart(spec, con.execute(project.models[name].sql)) for name, spec in CHARTS.items()]
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


def visible(label: str) -> str:
    """A label whose invisible differences show: `rejected ` is not drawn like `rejected`.
    Spaces at either end and every other invisible or control character become a visible
    escape (a middle space between words stays a space)."""
    def escape(m: re.Match[str]) -> str:
        c = m.group()
        return "\u2423" if c == " " else f"\\u{ord(c):04x}"

    core = label.strip(" ")
    lead, trail = len(label) - len(label.lstrip(" ")), len(label) - len(label.rstrip(" "))
    inner = _INVISIBLE.sub(lambda m: m.group() if m.group() == " " else escape(m), core)
    return "\u2423" * lead + inner + "\u2423" * trail


def _chart(spec: tuple[str, str, str], cur: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Rows (series?, label, value[, total_value, total_items]) as bar groups with widths
    scaled to the largest value, and the totals over everything (not only what is shown)."""
    title, unit, items = spec
    columns = [d[0] for d in cur.description or []]
    rows = [dict(zip(columns, r, strict=True)) for r in cur.fetchall()]
    top = max((r["value"] for r in rows), default=0) or 1
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        label = str(r["label"])
        groups.setdefault(r.get("series") or "", []).append(
            {"label": visible(label), "raw": label, "value": r["value"],
             "width": round(100 * r["value"] / top, 2),
             "marked": visible(label) != label})
    total = rows[0]["total_value"] if rows and "total_value" in rows[0] else sum(r["value"] for r in rows)
    count = rows[0]["total_items"] if rows and "total_items" in rows[0] else len(rows)
    return {"title": title, "groups": groups, "total": total, "unit": unit, "things": items,
            "count": count, "shown": len(rows), "shown_total": sum(r["value"] for r in rows),
            "marked": any(bar["marked"] for bars in groups.values() for bar in bars)}
