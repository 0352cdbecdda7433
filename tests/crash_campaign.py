#!/usr/bin/env python3
"""Crash campaign: SIGKILL `distill-duck export-all` at random moments; nothing lost, nothing torn.

    python tests/crash_campaign.py --trials 50 --runs 2000 --seed 1

Builds a demo lakehouse, records the exports of one uninterrupted `export-all` (the
reference) and how long it took, then for each trial:

1. copies the input tree into a fresh root (a *pre-interrupted* trial also gets the
   reference exports with one output file cut back to a line boundary and a torn last line
   appended "by something else": random bytes, a partial JSON object, or a complete JSON
   object without its newline);
2. starts `export-all` as a subprocess and SIGKILLs it after a delay drawn from
   [0, 1.1 x the uninterrupted duration] (stratified over the trials, so that even a few
   trials hit reading, the models, each export file, the warehouse and the receipt);
3. checks the state the kill left (SPEC 3 "Torn files", 10, README "Atomic writes"):
   every output file under exports/ is empty or ends in "\\n" and every line is a JSON
   object; warehouse.duckdb, when present, opens read-only and holds the SPEC 10
   relations; the lock file does not block (the kernel released the flock);
4. re-runs `export-all` with the same flags and checks that the exports/ files are
   byte-identical to the reference (a pre-interrupted trial: complete lines survive, the torn
   line went to `<file>.torn`, the datasets are byte-identical), that exports/ holds no
   other files, and that `distill-duck health` passes.

Prints one line per trial and `N passed, M failed`; exits 1 on any failure.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as a script from anywhere: find the package of this checkout
    sys.path.insert(0, str(REPO))

RECORDED_AT = "2026-04-27T03:57:40.123Z"
FLAGS = ("--recorded-at", RECORDED_AT, "--json")
# SPEC section 1 table: the six files an export run appends to
DATASET_FILES = (
    "exports/rag/playbooks.jsonl",
    "exports/sft/instruction_response.jsonl",
    "exports/preference/chosen_rejected.jsonl",
)
QUARANTINE_FILES = (
    "exports/quarantine/rag.jsonl",
    "exports/quarantine/sft.jsonl",
    "exports/quarantine/preference.jsonl",
)
OUTPUT_FILES = DATASET_FILES + QUARANTINE_FILES
SHORT = {
    "exports/rag/playbooks.jsonl": "rag",
    "exports/sft/instruction_response.jsonl": "sft",
    "exports/preference/chosen_rejected.jsonl": "pref",
    "exports/quarantine/rag.jsonl": "q:rag",
    "exports/quarantine/sft.jsonl": "q:sft",
    "exports/quarantine/preference.jsonl": "q:pref",
}
# SPEC section 10: relations the warehouse has at least
WAREHOUSE_RELATIONS = frozenset({
    "evidence", "scored_runs", "rag_samples", "sft_samples", "preference_pairs", "quarantine",
    "input_errors", "runs",
})
LOCK = ".distill_duck/lock"
TORN_KINDS = ("garbage", "partial", "unterminated")
RUN_TIMEOUT = 600.0


# -- helpers -------------------------------------------------------------------------------

def cli(root: Path, *args: str, env: Mapping[str, str] | None = None,
        timeout: float = RUN_TIMEOUT) -> subprocess.CompletedProcess[str]:
    """`python -m distill_duck ARGS --root ROOT`, as a user would run it."""
    return subprocess.run([sys.executable, "-m", "distill_duck", *args, "--root", str(root)],
                          capture_output=True, text=True, cwd=REPO, timeout=timeout,
                          env=None if env is None else dict(env))


def export_all(root: Path) -> subprocess.CompletedProcess[str]:
    return cli(root, "export-all", *FLAGS)


def copy_inputs(source: Path, root: Path) -> None:
    shutil.copytree(source / "data", root / "data")


def files_under(base: Path) -> dict[str, bytes]:
    """Every regular file under ``base`` (relative POSIX path -> bytes)."""
    if not base.is_dir():
        return {}
    return {p.relative_to(base).as_posix(): p.read_bytes() for p in sorted(base.rglob("*")) if p.is_file()}


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def line_problems(rel: str, data: bytes) -> list[str]:
    """Problems of one output file: it must be empty or end in "\\n", every line a JSON object."""
    if not data:
        return []
    problems = []
    if not data.endswith(b"\n"):
        tail = data[data.rfind(b"\n") + 1:]
        problems.append(f"{rel}: torn last line ({len(tail)} bytes without newline: {tail[:60]!r})")
    for n, line in enumerate(data.split(b"\n")[:-1]):
        try:
            obj = json.loads(line.decode("utf-8"), parse_constant=_no_constants)
        except ValueError as e:
            problems.append(f"{rel}:{n}: not JSON ({e}): {line[:60]!r}")
            break
        if not isinstance(obj, dict):
            problems.append(f"{rel}:{n}: not a JSON object: {line[:60]!r}")
            break
    return problems


def is_json_object(raw: bytes) -> bool:
    try:
        return isinstance(json.loads(raw.decode("utf-8"), parse_constant=_no_constants), dict)
    except ValueError:
        return False


def warehouse_problems(root: Path) -> list[str]:
    """A warehouse.duckdb that is present must open read-only and hold the SPEC 10 relations."""
    path = root / "warehouse.duckdb"
    if not path.exists():
        return []
    import duckdb

    try:
        con = duckdb.connect(str(path), read_only=True)
        try:
            names = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
            for name in sorted(WAREHOUSE_RELATIONS & names):
                con.execute(f'SELECT count(*) FROM "{name}"').fetchone()
        finally:
            con.close()
    except Exception as e:  # any failure to read it is the finding
        return [f"warehouse.duckdb does not open read-only: {' '.join(str(e).split())[:200]}"]
    missing = sorted(WAREHOUSE_RELATIONS - names)
    return [f"warehouse.duckdb lacks relations {missing} (half-written?)"] if missing else []


def lock_problems(root: Path) -> list[str]:
    """The killed run's flock must be gone: this process can take it at once."""
    path = root / LOCK
    if not path.exists():
        return []
    fd = os.open(path, os.O_RDWR)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return [f"{LOCK} is still locked after the run was killed"]
        fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
    return []


def phase_of(root: Path, before: Mapping[str, bytes], finished: bool) -> str:
    """What the killed run had got done, read from the disk (for the trial line)."""
    if finished:
        return "finished before the kill"
    changed = [rel for rel in OUTPUT_FILES
               if (root / rel).is_file() and (root / rel).read_bytes() != before.get(rel)]
    repaired = [SHORT[rel] for rel in changed if rel in before and (root / rel).read_bytes() in (
        before[rel] + b"\n", before[rel][:before[rel].rfind(b"\n") + 1])]
    done = [SHORT[rel] for rel in changed if SHORT[rel] not in repaired]
    parts = []
    if (root / ".distill_duck").is_dir():
        parts.append("started")
    if repaired:
        parts.append("repaired " + ",".join(repaired))
    if done:
        parts.append("wrote " + ",".join(done))
    if (root / "reports/distillation/runs.jsonl").is_file():
        parts.append("runs.jsonl")
    if (root / "warehouse.duckdb").is_file():
        parts.append("warehouse")
    if list((root / "reports/distillation").glob("*/receipt.json")):
        parts.append("receipt")
    return " ".join(parts) or "nothing yet"


def other_files(root: Path) -> dict[str, int]:
    """Files outside data/ and exports/ (run ids in receipt paths replaced by *) -> bytes."""
    found: dict[str, int] = {}
    for p in root.rglob("*"):
        rel = p.relative_to(root).as_posix()
        if not p.is_file() or rel.startswith(("data/", "exports/")):
            continue
        parts = rel.split("/")
        if rel.startswith("reports/distillation/") and len(parts) == 4:
            rel = "reports/distillation/*/" + parts[3]
        found[rel] = found.get(rel, 0) + p.stat().st_size
    return found


def ref_lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")[:-1] if data else []


def is_duplicate_id_row(line: bytes) -> bool:
    try:
        return json.loads(line).get("reason") == "duplicate_id"
    except ValueError:
        return False


# -- reference and trials ------------------------------------------------------------------

@dataclass
class Reference:
    inputs: Path
    exports: dict[str, bytes]
    duration: float
    others: frozenset[str]  # other files an uninterrupted run leaves (see other_files)


@dataclass
class PreState:
    """An output file cut back to ``keep`` complete lines with a torn ``tail`` appended."""

    target: str
    kind: str
    keep: bytes
    tail: bytes
    others_present: bool


@dataclass
class TrialResult:
    index: int
    kind: str
    delay: float
    phase: str = ""
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class Campaign:
    reference: Reference
    results: list[TrialResult]

    @property
    def passed(self) -> int:
        return sum(r.ok for r in self.results)

    @property
    def failed(self) -> int:
        return len(self.results) - self.passed


def build_reference(workdir: Path, runs: int, seed: int) -> Reference:
    from distill_duck.demo import write_demo

    inputs = workdir / "inputs"
    write_demo(inputs, runs=runs, seed=seed)
    durations = []
    exports: dict[str, bytes] = {}
    others: frozenset[str] = frozenset()
    for attempt in range(3):  # later runs time warm starts, like the trials
        root = workdir / f"reference-{attempt}"
        root.mkdir()
        copy_inputs(inputs, root)
        started = time.perf_counter()
        p = export_all(root)
        durations.append(time.perf_counter() - started)
        if p.returncode != 0:
            raise RuntimeError(f"the uninterrupted reference run failed ({p.returncode}): {p.stderr.strip()}")
        tree = files_under(root / "exports")
        if attempt and tree != exports:
            raise RuntimeError("two uninterrupted runs on the same inputs wrote different exports")
        exports = tree
        others = others | frozenset(other_files(root))
        shutil.rmtree(root)
    missing = [rel for rel in OUTPUT_FILES if rel.removeprefix("exports/") not in exports]
    if missing:
        raise RuntimeError(f"the reference run wrote no {missing}")
    return Reference(inputs, exports, sorted(durations)[1], others)  # the median


def make_pre_state(rng: random.Random, ref: Reference) -> PreState:
    candidates = [rel for rel in OUTPUT_FILES if ref.exports[rel.removeprefix("exports/")]]
    target = rng.choice(candidates)
    lines = ref_lines(ref.exports[target.removeprefix("exports/")])
    k = rng.randrange(len(lines))
    keep = b"".join(line + b"\n" for line in lines[:k])
    kind = TORN_KINDS[rng.randrange(len(TORN_KINDS))]
    if kind == "garbage":
        while True:
            tail = bytes(rng.randrange(256) for _ in range(rng.randint(1, 300))).replace(b"\n", b"")
            if tail and not is_json_object(tail):
                break
    elif kind == "partial":
        tail = lines[k][:rng.randrange(1, len(lines[k]))]
    else:
        tail = lines[k]
    return PreState(target, kind, keep, tail, others_present=rng.random() < 0.5)


def apply_pre_state(root: Path, ref: Reference, pre: PreState) -> dict[str, bytes]:
    """Write the pre-interrupted outputs; return them (relative to the root)."""
    state: dict[str, bytes] = {}
    for rel in OUTPUT_FILES:
        if rel == pre.target:
            state[rel] = pre.keep + pre.tail
        elif pre.others_present:
            state[rel] = ref.exports[rel.removeprefix("exports/")]
    for rel, data in state.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return state


def kill_after(root: Path, delay: float) -> bool:
    """Start export-all, SIGKILL it after ``delay`` seconds; True when it finished first."""
    proc = subprocess.Popen([sys.executable, "-m", "distill_duck", "export-all", "--root", str(root), *FLAGS],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO,
                            start_new_session=True)
    try:
        proc.wait(timeout=delay)
        return True
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # the group of the process started above (it may run git)
    except ProcessLookupError:
        pass
    proc.wait()
    return False


def compare_after_rerun(root: Path, ref: Reference, pre: PreState | None) -> list[str]:
    problems = []
    tree = files_under(root / "exports")
    expected_names = set(ref.exports)
    if pre is not None and pre.kind != "unterminated":
        expected_names.add(pre.target.removeprefix("exports/") + ".torn")
    extra = sorted(set(tree) - expected_names)
    if extra:
        problems.append(f"exports/ holds files an uninterrupted run does not leave: {extra}")
    for rel in OUTPUT_FILES:
        name = rel.removeprefix("exports/")
        want, got = ref.exports[name], tree.get(name)
        if got is None:
            problems.append(f"{rel} is missing after the re-run")
            continue
        if got == want:
            continue
        if pre is not None and rel in QUARANTINE_FILES:
            # the pre-state dropped quarantine rows while the dataset kept the ids: a duplicate
            # of an id already in the dataset is skipped_existing, so its duplicate_id row is
            # legitimately not derived again (SPEC 3 gate order). Everything else must match.
            got_lines, want_lines = ref_lines(got), ref_lines(want)
            present = set(got_lines)
            missing = [x for x in want_lines if x not in present]
            if got_lines == [x for x in want_lines if x in present] and \
                    all(is_duplicate_id_row(x) for x in missing):
                continue
        got_n, want_n = got.count(b"\n"), want.count(b"\n")
        problems.append(f"{rel} differs from the uninterrupted run: {len(got)} bytes / {got_n} lines, "
                        f"expected {len(want)} / {want_n}; first difference at byte "
                        f"{_first_difference(got, want)}")
    if pre is not None:
        final = tree.get(pre.target.removeprefix("exports/"), b"")
        kept = pre.keep + (pre.tail + b"\n" if pre.kind == "unterminated" else b"")
        if not final.startswith(kept):
            problems.append(f"{pre.target}: the complete lines before the torn one did not survive")
        torn = tree.get(pre.target.removeprefix("exports/") + ".torn")
        if pre.kind == "unterminated":
            if torn is not None:
                problems.append(f"{pre.target}.torn written although the torn line was a JSON object")
        elif torn is None:
            problems.append(f"{pre.target}.torn missing: the torn line {pre.tail[:40]!r} was lost")
        else:
            copies = torn.split(pre.tail + b"\n")
            if any(copies) or len(copies) < 2:
                problems.append(f"{pre.target}.torn holds {torn[:80]!r}, not the torn line {pre.tail[:40]!r}")
    return problems


def describe(pre: PreState) -> str:
    kept = pre.keep.count(b"\n")
    others = ", others present" if pre.others_present else ", others absent"
    return f" [{SHORT[pre.target]} cut to {kept} lines + {len(pre.tail)}-byte torn line{others}]"


def _first_difference(a: bytes, b: bytes) -> int:
    return next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))


def run_trial(index: int, kind: str, delay: float, ref: Reference, root: Path,
              pre: PreState | None) -> TrialResult:
    result = TrialResult(index, kind if pre is None else f"torn-{pre.kind}", delay)
    root.mkdir(parents=True)
    copy_inputs(ref.inputs, root)
    before = apply_pre_state(root, ref, pre) if pre is not None else {}
    finished = kill_after(root, delay)
    result.phase = phase_of(root, before, finished)

    # the state the kill left
    for p in sorted((root / "exports").rglob("*")) if (root / "exports").is_dir() else []:
        rel = p.relative_to(root).as_posix()
        if not p.is_file():
            continue
        data = p.read_bytes()
        if rel in OUTPUT_FILES:
            if pre is not None and rel == pre.target and data == before[rel]:
                continue  # not repaired yet: the run was killed before it got there
            result.problems += [f"after the kill: {x}" for x in line_problems(rel, data)]
        elif rel.endswith(".torn"):
            if not data.endswith(b"\n"):
                result.problems.append(f"after the kill: {rel} does not end in a newline")
        else:
            result.notes.append(f"stray after kill: {rel} ({len(data)} bytes)")
    result.problems += [f"after the kill: {x}" for x in warehouse_problems(root)]
    result.problems += [f"after the kill: {x}" for x in lock_problems(root)]

    # a re-run with the same flags converges on the uninterrupted result
    p = export_all(root)
    if p.returncode != 0:
        result.problems.append(f"re-run exited {p.returncode}: {p.stderr.strip()[:300]}")
        return result
    result.problems += compare_after_rerun(root, ref, pre)
    result.problems += warehouse_problems(root)
    health = cli(root, "health", "--json")
    if health.returncode != 0:
        result.problems.append(f"health after the re-run exited {health.returncode}: {health.stdout[:300]}")
    # not part of the contract, but disk that is never given back: scratch files of the
    # killed run that the re-run left in place
    strays = {rel: size for rel, size in other_files(root).items() if rel not in ref.others}
    if strays:
        result.notes.append("left behind after the re-run: "
                            + ", ".join(f"{rel} ({size} bytes)" for rel, size in sorted(strays.items())))
    return result


def run_campaign(trials: int, runs: int, seed: int, workdir: Path | None = None, torn_every: int = 3,
                 keep_failed: bool = False, log: Callable[[str], None] = print) -> Campaign:
    """Run the campaign; trial i (0-based) is pre-interrupted when torn_every and
    i % torn_every == torn_every - 1."""
    rng = random.Random(seed)
    base = Path(tempfile.mkdtemp(prefix="distill-duck-crash-", dir=workdir))
    try:
        ref = build_reference(base, runs, seed)
        log(f"reference: {runs} runs, seed {seed}, uninterrupted export-all {ref.duration:.2f}s, "
            f"exports {sum(len(v) for v in ref.exports.values())} bytes")
        # stratified delays over [0, 1.1 x duration], in random order
        window = 1.1 * ref.duration
        delays = [(i + rng.random()) / trials * window for i in range(trials)]
        rng.shuffle(delays)
        results = []
        for i, delay in enumerate(delays):
            pre = make_pre_state(rng, ref) if torn_every and i % torn_every == torn_every - 1 else None
            root = base / f"trial-{i:03d}"
            result = run_trial(i, "fresh", delay, ref, root, pre)
            results.append(result)
            where = "" if pre is None else describe(pre)
            status = "PASS" if result.ok else "FAIL"
            log(f"trial {i + 1}/{trials} {result.kind}{where} kill@{delay:.2f}s ({result.phase}): {status}"
                + "".join(f"\n    {x}" for x in result.problems)
                + "".join(f"\n    note: {x}" for x in result.notes))
            if result.ok or not keep_failed:
                shutil.rmtree(root, ignore_errors=True)
        campaign = Campaign(ref, results)
        log(f"{campaign.passed} passed, {campaign.failed} failed")
        return campaign
    finally:
        if not keep_failed:
            shutil.rmtree(base, ignore_errors=True)
        else:
            log(f"failed trials kept under {base}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=50, help="kill trials (default 50)")
    parser.add_argument("--runs", type=int, default=2000, help="demo lakehouse size (default 2000)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the demo and the delays (default 1)")
    parser.add_argument("--torn-every", type=int, default=3, metavar="N",
                        help="every Nth trial starts from a pre-interrupted state (0: never; default 3)")
    parser.add_argument("--workdir", type=Path, help="where to put the trial roots (default: $TMPDIR)")
    parser.add_argument("--keep-failed", action="store_true", help="keep the roots of failed trials")
    args = parser.parse_args(argv)
    if args.trials < 1 or args.runs < 1:
        parser.error("--trials and --runs must be at least 1")
    campaign = run_campaign(args.trials, args.runs, args.seed, args.workdir, args.torn_every,
                            args.keep_failed)
    return 0 if campaign.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
