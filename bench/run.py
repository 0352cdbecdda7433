"""Benchmark: export-all against the engine's own limit, as ratios measured in one run.

    python bench/run.py --runs 100000 1000000     # the BENCHMARKS.md table
    python bench/run.py --runs 5000 --repeat 1    # the CI smoke run

For each corpus size (a `distill-duck demo` lakehouse, generated into bench/corpus-N if
missing), with the default safety gates and with --no-safety-gates, it measures, median
of --repeat runs:
  bare scan   one DuckDB read_json pass over every evidence and scored partition with all
              columns declared, count(*) and sum(length(text)): what reading costs at best
  export-all  a first run (outputs removed before each repetition), wall time and peak RSS
  re-run      export-all again with nothing new
  a new day   export-all after one more day's partitions (runs/30) arrive: the nightly job
then the gates' cost, the per-line Python script of the same rules (bench/baseline.py)
against export-all --no-safety-gates on the smallest corpus, `health` and `dataset` on the
largest, and a hot task (one task with 10,000 accepted and 10,000 rejected runs) against
20,000 ordinary records. Needs nothing beyond the project's dependencies.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.peak_rss import measure as peak_rss  # noqa: E402
from distill_duck.demo import write_demo  # noqa: E402
from distill_duck.lakehouse import Lakehouse  # noqa: E402
from distill_duck.sqlquote import glob_escape  # noqa: E402

RECORDED_AT = "2026-04-27T03:57:40.123Z"
EVIDENCE_COLUMNS = {
    "run_id": "VARCHAR", "task_id": "VARCHAR", "text": "VARCHAR", "model_role": "VARCHAR",
    "model_name": "VARCHAR", "source_files": "VARCHAR[]", "retrieved_context": "JSON", "metadata": "JSON",
    "provenance": "JSON",
}
SCORED_COLUMNS = {
    "evidence_run_id": "VARCHAR", "evidence_task_id": "VARCHAR", "category": "VARCHAR",
    "reasons": "JSON", "provenance": "JSON",
}


def bare_scan(root: Path) -> float:
    """Seconds for one typed read_json pass over all partitions (malformed lines skipped):
    the median of three passes after a warm-up one, so it reads from the page cache, as
    export-all (run right after) does."""
    lake = Lakehouse(root)
    evidence = [glob_escape(str(root / p)) for p in lake.evidence_files()]
    scored = [glob_escape(str(root / p)) for p in lake.scored_files()]
    con = duckdb.connect()
    passes = []
    for _ in range(4):
        started = time.perf_counter()
        con.execute(
            "SELECT count(*), sum(length(text)) FROM read_json(?, format='newline_delimited', columns=?,"
            " ignore_errors=true)", [evidence, EVIDENCE_COLUMNS]).fetchall()
        con.execute(
            "SELECT count(*), sum(length(category)) FROM read_json(?, format='newline_delimited', columns=?,"
            " ignore_errors=true)", [scored, SCORED_COLUMNS]).fetchall()
        passes.append(time.perf_counter() - started)
    con.close()
    return statistics.median(passes[1:])


def export_all(root: Path, *flags: str) -> tuple[float, float, dict, float]:
    """(seconds, peak RSS in MiB, summary, MiB written) of one `distill-duck export-all`
    subprocess."""
    elapsed, rss, done, written = distill_duck("export-all", "--root", str(root), "--recorded-at",
                                               RECORDED_AT, "--json", *flags)
    return elapsed, rss, json.loads(done.stdout), written


def distill_duck(*args: str, ok: tuple[int, ...] = (0,)
                 ) -> tuple[float, float, subprocess.CompletedProcess[str], float]:
    """(seconds, peak RSS in MiB, finished process, MiB written) of one `distill-duck`
    subprocess; an exit code not in `ok` stops the benchmark."""
    started = time.perf_counter()
    done, rss, written = peak_rss([sys.executable, "-m", "distill_duck", *args], cwd=HERE.parent)
    elapsed = time.perf_counter() - started
    if done.returncode not in ok:
        raise SystemExit(f"distill-duck {' '.join(args)} failed: {done.stderr[-500:]}")
    return elapsed, rss, done, written


def other_commands(root: Path) -> None:
    """`health` and `dataset` on the export files of a finished default run: time and peak
    RSS, each in its own subprocess (SPEC 11 and 13; the same 2 GiB bound as export-all)."""
    clean_outputs(root)
    export_all(root)
    with tempfile.TemporaryDirectory(prefix="distill-duck-dataset-") as tmp:
        for args in (["health", "--root", str(root)],
                     ["dataset", str(Path(tmp) / "out"), "--root", str(root)]):
            # (health exits 1 when it finds violations)
            elapsed, rss, done, _written = distill_duck(*args, ok=(0, 1))
            print(f"\n{args[0]} on {root.name}: {elapsed:.2f} s, peak RSS {rss:,.0f} MiB (target <= 2048 MiB)"
                  + ("" if done.returncode == 0 else " (it found violations)"))


def clean_outputs(root: Path) -> None:
    for rel in ("exports", "reports", ".distill_duck"):
        shutil.rmtree(root / rel, ignore_errors=True)
    (root / "warehouse.duckdb").unlink(missing_ok=True)


def corpus(runs: int, base: Path) -> Path:
    root = base / f"corpus-{runs}"
    marker = root / ".complete"
    if not marker.exists():
        shutil.rmtree(root, ignore_errors=True)
        print(f"generating a {runs}-run corpus in {root} ...", file=sys.stderr)
        write_demo(root, runs=runs, seed=7)
        marker.touch()
    return root


def hot_task_corpus(base: Path, hot: bool, n: int = 10_000) -> Path:
    """One partition: a task with n accepted and n rejected runs (hot), or 2n runs of
    n distinct two-run tasks (ordinary). Same record count and text sizes either way."""
    root = base / ("hot-task" if hot else "ordinary-20k")
    if (root / ".complete").exists():
        return root
    shutil.rmtree(root, ignore_errors=True)
    rel = "2026/04/27/scrum_reviews.jsonl"
    scored_lines, evidence_lines = [], []
    text = "# Review\n" + "finding: the handler leaks a file descriptor on error paths.\n" * 25
    for i in range(2 * n):
        run_id = f"run-{i}"
        task = "scrum_review:crates/hot.rs" if hot else f"scrum_review:crates/f{i // 2}.rs"
        category = "accepted" if i % 2 == 0 else "rejected"
        scored_lines.append(json.dumps({
            "evidence_run_id": run_id, "evidence_task_id": task, "category": category,
            "reasons": [f"reason {i}"],
            "provenance": {"source_file": "data/_kb/scrum_reviews.jsonl", "line_offset": i,
                           "sig_hash": f"{i:064x}", "recorded_at": "2026-04-26T10:00:00Z"}}))
        evidence_lines.append(json.dumps({
            "run_id": run_id, "task_id": task, "text": f"{text}attempt {i}\n", "model_role": "executor",
            "model_name": "qwen2.5-coder:32b", "source_files": ["crates/hot.rs"],
            "provenance": {"source_file": "data/_kb/scrum_reviews.jsonl", "line_offset": i,
                           "sig_hash": f"e{i:063x}", "recorded_at": "2026-04-26T09:00:00Z"}}))
    for kind, lines in (("scored-runs", scored_lines), ("evidence", evidence_lines)):
        path = root / "data" / kind / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines) + "\n", "utf-8")
    (root / ".complete").touch()
    return root


def median_of(values: list[float]) -> float:
    return statistics.median(values)


# the two ways every measure is taken: SPEC 12's default gates, and SPEC 1-11 alone
MODES = {"default gates": (), "--no-safety-gates": ("--no-safety-gates",)}
# the models of each safety gate (SPEC 12), as the receipt times them
GATE_MODELS = {
    "secrets": ("secret_candidates", "text_secrets"),
    "exact + near duplicates": ("text_fingerprints", "existing_fingerprints"),
}
DECISION_MODELS = ("rag_decisions", "sft_decisions", "preference_decisions")


def latest_models(root: Path) -> dict[str, float]:
    """The model timings (ms) of the root's latest receipt."""
    receipts = (root / "reports" / "distillation").glob("*/receipt.json")
    receipt = max(receipts, key=lambda p: p.stat().st_mtime)
    return json.loads(receipt.read_text())["timings_ms"]["models"]


def measure(runs: int, repeat: int, base: Path, flags: tuple[str, ...]) -> dict:
    """The five measures of one corpus in one mode: bare scan, first run, re-run, a new day
    and peak RSS (medians of `repeat` first runs and re-runs; one new day)."""
    root = corpus(runs, base)
    size = sum(p.stat().st_size for p in (root / "data").rglob("*.jsonl"))
    scans, firsts, rss, reruns, models = [], [], [], [], {}
    for _ in range(repeat):
        scans.append(bare_scan(root))
        clean_outputs(root)
        t, r, summary, written = export_all(root, *flags)
        firsts.append(t)
        rss.append(r)
        models = latest_models(root)
        kept = bytes_kept(root)
        t2, r2, again, _written = export_all(root, *flags)
        reruns.append(t2)
        rss.append(r2)
        assert again["rag"]["records_exported"] == 0, "the re-run exported again"
    day_s, day_rss = new_day(root, runs, flags)
    return {
        "runs": runs, "bytes": size, "records": summary["rag"]["records_read"], "flags": flags,
        "bare_scan_s": median_of(scans), "export_all_s": median_of(firsts), "rerun_s": median_of(reruns),
        "peak_rss_mib": max(rss + [day_rss]), "new_day_s": day_s, "models": models,
        "written_mib": written, "kept_mib": kept,
    }


# where a first run leaves what it wrote (everything else it wrote is removed at the end:
# the scratch database, spill files, staged copies)
KEPT = {"exports": ("exports",), "warehouse": ("warehouse.duckdb", "warehouse.duckdb.wal"),
        "input cache": (".distill_duck/input_cache.duckdb", ".distill_duck/input_cache.duckdb.wal"),
        "reports and digests": ("reports", ".distill_duck/file_facts.json")}


def bytes_kept(root: Path) -> dict[str, float]:
    """MiB of each kind of file a finished run keeps under the root."""
    def size(path: Path) -> int:
        if path.is_dir():
            return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
        return path.stat().st_size if path.exists() else 0
    return {kind: sum(size(root / rel) for rel in rels) / 2**20 for kind, rels in KEPT.items()}


def bytes_written(results: list[dict]) -> None:
    """How many times a first run writes each byte of its input, and where it goes."""
    for r in results:
        mode = "default gates" if not r["flags"] else " ".join(r["flags"])
        kept = r["kept_mib"]
        scratch = r["written_mib"] - sum(kept.values())
        print(f"\nbytes written by a first run, corpus-{r['runs']} ({mode}): {r['written_mib']:,.0f} MiB"
              f" for {r['bytes'] / 2**20:,.0f} MiB of input ({r['written_mib'] / (r['bytes'] / 2**20):.1f}x);"
              " kept: " + ", ".join(f"{k} {v:,.0f} MiB" for k, v in kept.items())
              + f"; written and removed again (scratch tables, spill, staged lines) {scratch:,.0f} MiB")


def new_day(root: Path, runs: int, flags: tuple[str, ...] = ()) -> tuple[float, float]:
    """export-all after a new day's partitions (a demo of runs/30, dated 2099) arrive on top
    of a finished run: what a nightly job costs. The day is removed again afterwards."""
    with tempfile.TemporaryDirectory(prefix="distill-duck-day-") as tmp:
        write_demo(Path(tmp), runs=max(runs // 30, 100), seed=11)
        for src in sorted(Path(tmp, "data").rglob("*.jsonl")):
            kind, _year, rest = src.relative_to(Path(tmp, "data")).as_posix().split("/", 2)
            dst = root / "data" / kind / "2099" / rest  # same month/day/name, a year of its own
            dst.parent.mkdir(parents=True, exist_ok=True)
            # the demo's run ids follow its dates, so a second demo repeats the first one's
            # ids (every record skipped as already exported): the day's runs get ids of their own
            dst.write_bytes(src.read_bytes().replace(b'"run_id":"', b'"run_id":"day-')
                            .replace(b'"evidence_run_id":"', b'"evidence_run_id":"day-'))
    try:
        t, rss, summary, _written = export_all(root, *flags)
        assert summary["rag"]["records_exported"] > 0, "the new day exported nothing"
    finally:
        for kind in ("scored-runs", "evidence"):
            shutil.rmtree(root / "data" / kind / "2099", ignore_errors=True)
    return t, rss


def python_baseline(runs: int, repeat: int, base: Path) -> None:
    """The same rules (SPEC 1-11) as a per-line Python script (bench/baseline.py) against a
    first `export-all --no-safety-gates`, on the same corpus, and whether they wrote the
    same dataset files."""
    root = corpus(runs, base)
    datasets = ("exports/rag/playbooks.jsonl", "exports/sft/instruction_response.jsonl",
                "exports/preference/chosen_rejected.jsonl")
    script, ours, written = [], [], {}
    for name in ("baseline", "distill-duck"):
        for _ in range(repeat):
            clean_outputs(root)
            if name == "baseline":
                started = time.perf_counter()
                done, _rss, _written = peak_rss([sys.executable, str(HERE / "baseline.py"), str(root),
                                       "--recorded-at", RECORDED_AT], cwd=HERE.parent)
                if done.returncode != 0:
                    raise SystemExit(f"bench/baseline.py failed: {done.stderr[-500:]}")
                script.append(time.perf_counter() - started)
            else:
                ours.append(export_all(root, "--no-safety-gates")[0])
        written[name] = [(root / rel).read_bytes() if (root / rel).exists() else b"" for rel in datasets]
    clean_outputs(root)
    py, dd = median_of(script), median_of(ours)
    print(f"\nper-line Python (bench/baseline.py) on corpus-{runs}: {py:.2f} s; export-all --no-safety-gates"
          f" {dd:.2f} s: distill-duck is {py / dd:.2f}x as fast (target >= 10);"
          f" the same dataset files: {'yes' if written['baseline'] == written['distill-duck'] else 'NO'}")


def safety_gates(results: list[dict]) -> None:
    """The gates' cost: the first runs of the largest corpus in both modes, and the time of
    each gate's own models in the gated run's receipt."""
    on = next(r for r in reversed(results) if not r["flags"])
    off = next(r for r in reversed(results) if r["flags"] and r["runs"] == on["runs"])
    models = on["models"]
    costs = {gate: sum(models.get(m, 0) for m in ms) / 1000 for gate, ms in GATE_MODELS.items()}
    decisions = sum(models.get(m, 0) for m in DECISION_MODELS) / 1000
    print(f"\nsafety gates on corpus-{on['runs']}: export-all {on['export_all_s']:.2f} s"
          " with the default gates,"
          f" {off['export_all_s']:.2f} s with --no-safety-gates:"
          f" +{100 * (on['export_all_s'] / off['export_all_s'] - 1):.0f} % (target <= 25 %)")
    print("  " + "; ".join(f"{gate} {s:.2f} s" for gate, s in costs.items())
          + f"; the three decision models (gates and the duplicate checks) {decisions:.2f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, nargs="+", default=[1_000_000], help="corpus sizes")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions per measure (median)")
    parser.add_argument("--corpus-dir", type=Path, default=HERE, help="where corpora are kept")
    parser.add_argument("--hot-task", type=int, default=10_000,
                        help="accepted (and rejected) runs of the hot task; 0 skips it")
    parser.add_argument("--baseline-runs", type=int, default=None,
                        help="the corpus size bench/baseline.py is compared on "
                             "(default: the smallest of --runs; 0 skips it)")
    args = parser.parse_args()

    results = [measure(n, args.repeat, args.corpus_dir, flags)
               for n in sorted(args.runs) for flags in MODES.values()]
    print("| runs | input | mode | bare scan | first export-all | / scan (target <= 30) | re-run"
          " | / first (target <= 0.05) | a new day (runs/30) | / first (target <= 0.1)"
          " | peak RSS (target <= 2048 MiB) |")
    print("|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        mode = " ".join(r["flags"]) or "default gates"
        print(f"| {r['runs']:,} | {r['bytes'] / 2**20:,.0f} MiB | {mode} | {r['bare_scan_s']:.2f} s"
              f" | {r['export_all_s']:.2f} s | {r['export_all_s'] / r['bare_scan_s']:.0f}x"
              f" | {r['rerun_s']:.2f} s | {r['rerun_s'] / r['export_all_s']:.3f}"
              f" | {r['new_day_s']:.2f} s | {r['new_day_s'] / r['export_all_s']:.3f}"
              f" | {r['peak_rss_mib']:,.0f} MiB |")
    gated = [r for r in results if not r["flags"]]
    if len(gated) > 1:
        small, big = gated[0], gated[-1]
        growth = (big["export_all_s"] / small["export_all_s"]) / (big["records"] / small["records"])
        print(f"\nscaling {small['runs']:,} -> {big['runs']:,} runs: time grew {growth:.2f}x as fast as the"
              " records (1.00 = linear)")
    safety_gates(results)
    bytes_written(results)
    baseline_runs = min(args.runs) if args.baseline_runs is None else args.baseline_runs
    if baseline_runs:
        python_baseline(baseline_runs, args.repeat, args.corpus_dir)
    other_commands(corpus(sorted(args.runs)[-1], args.corpus_dir))
    if args.hot_task:
        hot = hot_task_corpus(args.corpus_dir, hot=True, n=args.hot_task)
        ordinary = hot_task_corpus(args.corpus_dir, hot=False, n=args.hot_task)
        times = {}
        for name, root in (("hot", hot), ("ordinary", ordinary)):
            samples = []
            for _ in range(args.repeat):
                clean_outputs(root)
                samples.append(export_all(root)[0])
            times[name] = median_of(samples)
        print(f"\nhot task ({args.hot_task:,} accepted x {args.hot_task:,} rejected): {times['hot']:.2f} s;"
              f" {2 * args.hot_task:,} ordinary records: {times['ordinary']:.2f} s;"
              f" ratio {times['hot'] / times['ordinary']:.2f} (target about 1)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
