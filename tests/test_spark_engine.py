"""The Spark engine (--engine spark): the same models, the same bytes.

Equivalence is the test: each conformance case (SPEC 1-11, and the safety gates' with
every gate of SPEC 12) and a demo lakehouse with every fault kind are exported by both
engines, and every output file must be the same bytes, every summary the same; the demo's
training datasets (SPEC 13) are built by both, and every data file must be the same bytes.
These need pyspark and a Java runtime (the spark extra); the translation tests
(tests/test_spark_sql.py) do not.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import RECORDED_AT, run_cli

CASES = Path(__file__).parent / "conformance"
# the cases of SPEC 1-11 (their flags turn the safety gates off)
CASES_1_11 = sorted(p.name for p in CASES.iterdir() if (p / "case.json").is_file()
                    and "--no-safety-gates" in json.loads((p / "case.json").read_text())["flags"])
# the safety gates' cases, each with its own flags (every gate of SPEC 12)
SAFETY_CASES = ["safety-duplicates", "safety-paths-evals", "safety-redact", "safety-secrets"]

pytestmark = [pytest.mark.spark, pytest.mark.slow, pytest.mark.xdist_group("spark")]
# With --dist loadgroup each group runs in one process, which starts one Spark session for
# it: two groups of about equal time let two processes share the Spark tests (a Spark run
# waits on its job scheduler more than on the CPU, so two sessions on 2 cores overlap well)
SECOND_SESSION = pytest.mark.xdist_group("spark-gates")


@pytest.fixture(scope="module")
def spark() -> object:
    # CI installs the spark extra and sets DISTILL_DUCK_REQUIRE_SPARK: there a missing
    # pyspark fails instead of skipping
    if not os.environ.get("DISTILL_DUCK_REQUIRE_SPARK"):
        pytest.importorskip("pyspark")
    from distill_duck.engines.spark_session import spark_session

    return spark_session()


def _outputs(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted((root / "exports").rglob("*")) if p.is_file()}


def _export(root: Path, *flags: str) -> dict[str, object]:
    return json.loads(run_cli("export-all", "--root", str(root), *flags, "--json").stdout)


def _both(source: Path, tmp_path: Path, flags: list[str]) -> tuple[Path, Path]:
    # (Spark reads paths as Hadoop globs: its root holds what a glob would read otherwise)
    duck, spark = tmp_path / "duckdb", tmp_path / "spark [1] {x,y} *"
    for root in (duck, spark):
        shutil.copytree(source, root)
    got_duck = _export(duck, *[f.replace("{root}", str(duck)) for f in flags])
    got_spark = _export(spark, *[f.replace("{root}", str(spark)) for f in flags], "--engine", "spark")
    # (a flag naming {root}, such as --repo-manifest, is recorded with its own root)
    assert json.dumps(got_spark).replace(str(spark), "{root}") \
        == json.dumps(got_duck).replace(str(duck), "{root}")
    return duck, spark


@pytest.mark.parametrize("case", CASES_1_11)
def test_spark_writes_the_bytes_duckdb_writes(case: str, tmp_path: Path, spark: object) -> None:
    flags = json.loads((CASES / case / "case.json").read_text())["flags"]
    duck, on_spark = _both(CASES / case / "input", tmp_path, flags)
    outputs = _outputs(on_spark)
    assert outputs == _outputs(duck)
    # the case's own expected datasets, to the byte
    for rel in ("rag/playbooks.jsonl", "sft/instruction_response.jsonl", "preference/chosen_rejected.jsonl"):
        want = CASES / case / "expected" / rel
        assert outputs.get(f"exports/{rel}", b"") == (want.read_bytes() if want.is_file() else b""), rel
    if case == "gates":
        # a second Spark run finds every id already exported (existing_ids, read back by
        # Spark) and writes nothing (one case: a Spark run costs tens of seconds)
        again = _export(on_spark, *flags, "--engine", "spark")
        assert all(again[e]["records_exported"] == 0 for e in again)
        assert again["rag"]["skipped_existing"] > 0
        assert _outputs(on_spark) == outputs


@SECOND_SESSION
@pytest.mark.parametrize("case", SAFETY_CASES)
def test_the_safety_gates_on_spark_refuse_what_duckdb_refuses(case: str, tmp_path: Path,
                                                               spark: object) -> None:
    # SPEC 12.1 (secrets, and --redact-secrets), 12.2 (file paths), 12.3 (benchmark
    # contamination), 12.4 and 12.5 (exact and near duplicates)
    flags = json.loads((CASES / case / "case.json").read_text())["flags"]
    duck, on_spark = _both(CASES / case / "input", tmp_path, flags)
    outputs = _outputs(on_spark)
    assert outputs == _outputs(duck)
    refused = {json.loads(line)["reason"] for rel, data in outputs.items() if "quarantine" in rel
               for line in data.decode().splitlines()}
    # the gates acted: a secret or a repeat refused, or (--redact-secrets) a secret redacted
    redacted = any(b"[REDACTED:" in data for rel, data in outputs.items() if "quarantine" not in rel)
    assert refused & {"secret_detected", "duplicate_content", "near_duplicate", "hallucinated_file_path"} \
        or redacted, refused
    if case == "safety-duplicates":
        assert {"duplicate_content", "near_duplicate"} <= refused
    if case == "safety-paths-evals":
        assert {"hallucinated_file_path", "benchmark_contamination"} <= refused


@SECOND_SESSION
def test_spark_on_a_demo_lakehouse_with_every_fault_and_its_datasets(tmp_path: Path, spark: object) -> None:
    from distill_duck.demo import FAULT_KINDS, write_demo

    source = tmp_path / "demo"
    counts = write_demo(source, runs=240, seed=11)
    assert all(counts.get(f"fault:{kind}", 0) > 0 for kind in FAULT_KINDS), counts
    duck, on_spark = _both(source, tmp_path, ["--recorded-at", RECORDED_AT])
    outputs = _outputs(on_spark)
    assert outputs == _outputs(duck)
    assert sum(len(v) for v in outputs.values()) > 50_000  # (a corpus worth comparing)

    # SPEC 13: the training datasets built on Spark are the DuckDB engine's files, Parquet
    # and JSONL, byte for byte (a test split too, so every layout has rows in each split)
    built = {}
    for engine, root in (("duckdb", duck), ("spark", on_spark)):
        out = tmp_path / f"dataset-{engine}"
        run_cli("dataset", str(out), "--root", str(root), "--test-fraction", "0.1", "--engine", engine)
        built[engine] = {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
                         if p.is_file() and p.name not in ("README.md", "receipt.json")}
        receipt = json.loads((out / "receipt.json").read_text())
        built[engine]["rows and tasks"] = json.dumps([receipt["rows"], receipt["tasks"]]).encode()
        assert receipt["options"].get("engine") == (None if engine == "duckdb" else "spark")
    assert built["spark"] == built["duckdb"]
    assert {"data/sft/test.parquet", "data/preference/train.parquet", "openai/dpo.test.jsonl",
            "llamafactory/preference.train.jsonl"} <= set(built["spark"])


@SECOND_SESSION
def test_a_chain_of_near_duplicates_settles_in_input_order_on_spark(tmp_path: Path, spark: object) -> None:
    # SPEC 12.5: each text differs from the one before by three words (similarity about
    # 0.86) and from the one before that by six (about 0.73). In input order: a is
    # exported, b is close to a, c is close only to b, which was refused, so c is exported,
    # and d is close to c. Spark settles that in rounds (macros/spark/settle.sql).
    from tests.conftest import evidence, scored, write_partition

    words = [f"w{i}" for i in range(200)]
    texts = [words]
    for changed in ([20, 100, 180], [40, 120, 160], [60, 140, 10]):
        texts.append([f"x{i}" if i in changed else w for i, w in enumerate(texts[-1])])
    source = tmp_path / "chain"
    ids = ["a", "b", "c", "d"]
    write_partition(source, "scored-runs", "2026/04/26/runs.jsonl", [scored(i) for i in ids])
    write_partition(source, "evidence", "2026/04/26/runs.jsonl",
                    [evidence(i, text="# Finding\n" + " ".join(t)) for i, t in zip(ids, texts, strict=True)])
    duck, on_spark = _both(source, tmp_path, ["--recorded-at", RECORDED_AT])
    outputs = _outputs(on_spark)
    assert outputs == _outputs(duck)
    refused = [json.loads(line) for line in outputs["exports/quarantine/rag.jsonl"].decode().splitlines()]
    assert [(r["source_record"]["evidence_run_id"], r["reason"]) for r in refused] \
        == [("b", "near_duplicate"), ("d", "near_duplicate")]
    exported = outputs["exports/rag/playbooks.jsonl"].decode()
    assert exported.count("\n") == 2


@SECOND_SESSION
def test_evaluation_files_are_read_the_same_way_on_spark(tmp_path: Path, spark: object) -> None:
    # SPEC 12.3: a BOM, CRLF, a key given twice, trailing text, a line that is not UTF-8,
    # non-string values, blank lines, a file outside the root, two items sharing an n-gram,
    # a file name Spark's listing skips (_heldout.txt), letters Java lowercases otherwise
    from tests.test_safety import assert_evaluation_refusals, evaluation_lake

    source = tmp_path / "lake"
    flags = evaluation_lake(source, tmp_path / "evals")
    flags[flags.index(str(source / "evals.jsonl"))] = "{root}/evals.jsonl"
    duck, on_spark = _both(source, tmp_path, ["--recorded-at", RECORDED_AT, *flags])
    assert _outputs(on_spark) == _outputs(duck)
    assert_evaluation_refusals(on_spark)
