"""`distill-duck report`: a self-contained HTML page of charts that renders offline."""

from __future__ import annotations

import os
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


def test_report_renders_in_headless_chromium(lakehouse: Path, tmp_path: Path) -> None:
    if CHROMIUM is None:
        missing = ("no Chromium on PATH (chromium, chromium-browser or google-chrome), so the report "
                   "is not rendered in a browser; `apt-get install chromium` to run this test "
                   "(.ci/run installs it)")
        if os.environ.get("DISTILL_DUCK_REQUIRE_BROWSER"):
            pytest.fail(missing)  # CI installed it: a missing browser is a broken setup there
        pytest.skip(missing)
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


def test_the_report_shows_totals_what_is_cut_lookalike_names_and_runs(lakehouse: Path) -> None:
    # input errors in 23 files, more than the 20 the chart lists
    for day in range(1, 24):
        write_partition(lakehouse, "scored-runs", f"2026/05/{day:02d}/audits.jsonl",
                        [scored(f"x{day}", task="t"), "not json"] + ["nor this"] * (day == 1))
        write_partition(lakehouse, "evidence", f"2026/05/{day:02d}/audits.jsonl", [evidence(f"x{day}")])
    write_partition(lakehouse, "scored-runs", "2026/06/01/audits.jsonl",
                    [scored("s1", "rejected"), scored("s2", "rejected ")])
    export_json(lakehouse)
    export_json(lakehouse)  # a second run: two runs over time
    run_cli("report", "--root", str(lakehouse))
    html = (lakehouse / "reports/distillation/report.html").read_text("utf-8")
    heads = {h.split(" <span", 1)[0]: h for h in re.findall(r"<h2>(.*?)</h2>", html)}
    assert "(24 errors in 23 files)" in heads["Input errors per partition file"]
    assert "the 20 files with the most errors (21 of 24 errors); 3 more files are in the warehouse" in html
    categories = dict(_bars(html)["Scored records by category"])
    assert categories["rejected"] == 1 and categories["rejected\u2423"] == 1  # told apart
    assert "text-overflow: ellipsis" not in html  # long names wrap, never cut
    runs = _bars(html)["Rows exported per run"]
    assert len(runs) == 6 and sorted(v for _, v in runs)[:3] == [0, 0, 0]  # the re-run exported nothing
    assert "in 6 runs)" in heads["Rows exported per run"]  # one bar per exporter per command
