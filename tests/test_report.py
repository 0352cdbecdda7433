"""`distill-duck report`: a self-contained HTML page of charts that renders offline."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import evidence, export_json, run_cli, scored, write_partition

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def _lake(root: Path) -> None:
    write_partition(root, "scored-runs", "2026/04/27/audits.jsonl", [
        scored("a1", task="t"), scored("r1", "rejected", task="t"), scored("n1", "needs_human_review"),
        scored("n2", "needs_human_review"), "not json",
    ])
    write_partition(root, "evidence", "2026/04/27/audits.jsonl", [
        evidence("a1", text="good"), evidence("r1", text="bad"), evidence("n1"), evidence("n2"),
    ])


def _bars(html: str) -> dict[str, list[tuple[str, int]]]:
    """chart title -> [(label, value)] read back from the page."""
    out: dict[str, list[tuple[str, int]]] = {}
    for section in html.split("<h2>")[1:]:
        title = section.split(" <span", 1)[0].split("</h2>", 1)[0]
        pairs = re.findall(r'<div class="bar-label" title="([^"]*)">.*?<div class="bar-value">(\d+)</div>',
                           section, flags=re.S)
        out[title] = [(label, int(v)) for label, v in pairs]
    return out


def test_report_shows_the_mix(lakehouse: Path) -> None:
    (lakehouse / "data").mkdir()
    missing = run_cli("report", "--root", str(lakehouse), check=False)
    assert missing.returncode == 1 and "export-all" in missing.stderr
    _lake(lakehouse)
    export_json(lakehouse)
    run_cli("report", "--root", str(lakehouse))
    html = (lakehouse / "reports/distillation/report.html").read_text("utf-8")
    assert "http://" not in html and "https://" not in html and "<script" not in html  # offline
    bars = _bars(html)
    assert bars["Scored records by category"] == [("needs_human_review", 2), ("accepted", 1), ("rejected", 1)]
    reasons = dict(bars["Quarantined rows by exporter and reason"])
    assert reasons["unsafe_sft_category"] == 3 and reasons["category_disallowed"] == 3
    # one row in each dataset, all from the scrum_reviews source class (the scored provenance)
    assert bars["Exported rows by dataset and source class"] == [("scrum_reviews", 1)] * 3
    assert bars["Input errors per partition file"] == [("data/scored-runs/2026/04/27/audits.jsonl", 1)]


@pytest.mark.skipif(CHROMIUM is None, reason="needs a chromium binary (apt-get install chromium)")
def test_report_renders_in_headless_chromium(lakehouse: Path, tmp_path: Path) -> None:
    _lake(lakehouse)
    export_json(lakehouse)
    run_cli("report", "--root", str(lakehouse))
    page = lakehouse / "reports/distillation/report.html"
    shot = tmp_path / "report.png"
    assert CHROMIUM is not None
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync"]
    subprocess.run([CHROMIUM, *flags, f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}",
                    "--window-size=1000,1400", page.as_uri()], capture_output=True, timeout=120, check=True)
    png = shot.read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 10_000  # a real page, not a blank one
    dom = subprocess.run([CHROMIUM, *flags, f"--user-data-dir={tmp_path / 'profile2'}", "--dump-dom",
                          page.as_uri()], capture_output=True, text=True, timeout=120, check=True)
    assert dom.stdout.count("<rect") >= 8 and "Scored records by category" in dom.stdout
