"""The safety gates of SPEC section 12, end to end through the CLI: what each gate catches,
what it must let through, the quarantine rows it writes, and its switches."""

from __future__ import annotations

import json
import random
import re
import subprocess
from pathlib import Path

import pytest

from tests.conftest import RECORDED_AT, evidence, output_rows, run_cli, scored, write_partition
from tests.conftest import export_json as export_run


def export_json(root: Path, command: str = "export-all", *flags: str) -> dict:
    """An export run with the safety gates as the flags set them (on by default)."""
    return export_run(root, command, *flags, gates=True)


PART = "2026/04/27/scrum_reviews.jsonl"
RAG, SFT, PREF = (
    "exports/rag/playbooks.jsonl",
    "exports/sft/instruction_response.jsonl",
    "exports/preference/chosen_rejected.jsonl",
)
Q_RAG, Q_SFT, Q_PREF = (f"exports/quarantine/{e}.jsonl" for e in ("rag", "sft", "preference"))
WORDS = (
    "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho "
    "sigma tau upsilon phi chi psi omega cache shard index vector memory lock schema"
).split()


def filler(seed: int, n: int = 60) -> str:
    """A text of n words no other seed's text resembles (so the duplicate gates stay quiet)."""
    rng = random.Random(seed)
    return " ".join(rng.choice(WORDS) + str(rng.randrange(1000)) for _ in range(n))


def lake_of(
    root: Path,
    texts: dict[str, str],
    categories: dict[str, str] | None = None,
    tasks: dict[str, str] | None = None,
    **evidence_extra: dict,
) -> None:
    categories, tasks = categories or {}, tasks or {}
    write_partition(
        root,
        "evidence",
        PART,
        [
            evidence(
                rid, text, **({"task_id": tasks[rid]} if rid in tasks else {}), **evidence_extra.get(rid, {})
            )
            for rid, text in texts.items()
        ],
    )
    write_partition(
        root,
        "scored-runs",
        PART,
        [scored(rid, categories.get(rid, "accepted"), task=tasks.get(rid)) for rid in texts],
    )


def reasons(root: Path, rel: str) -> dict[str, str]:
    """run id -> quarantine reason, for RAG and SFT quarantine rows."""
    return {r["source_record"]["evidence_run_id"]: r["reason"] for r in output_rows(root, rel)}


# -- 12.1 secrets -----------------------------------------------------------------------

SECRETS = {  # kind -> a value of that shape
    "aws_access_key": "AKIAQ3EXAMPLE7XK2PLM",
    "aws_access_key ": "ASIAJ7Q2R4T6Y8U0W2E4",
    "github_token": "ghp_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5",
    "github_token ": "github_pat_11ABCDEFG0" + "x" * 40,
    "api_key": "sk-proj-" + "Ab3dEf6hIj9kLm2nOp5qRs8t",
    "api_key ": "sk-ant-api03-" + "Zx9Yw8Vu7Ts6Rq5Po4Nm",
    "slack_token": "xoxb-123456789012-AbCdEfGhIj",
    "google_api_key": "AIza" + "SyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q",
    "stripe_key": "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc",
    "private_key": "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\n-----END RSA PRIVATE KEY-----",
    "private_key ": "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC",  # no END line
    "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N",
    "url_credentials": "postgres://admin:Wx7pQ2rLm9@db.internal:5432/app",
}
DECOYS = [
    "commit 3f786850e387550fdab836ed7e6dc881de23001b fixed the lock",
    "digest e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "request id 123e4567-e89b-12d3-a456-426614174000",
    "the password field must be hashed; never log the token or the secret",
    "use ${GITHUB_TOKEN} or <YOUR_API_KEY> or sk-... in examples; AKIAEXAMPLE and ghp_short are placeholders",
    "![chart](data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk)",
    "connect to postgres://db.internal:5432/app as user admin",
    "the task-sk-aaaaaaaaaaaaaaaaaaaaaaaaaaaa id is not a key (preceded by a dash)",
    "XAKIAZ9EXAMPLE7XK2PLQ is inside a longer word",
    "api_key = os.environ['OPENAI_API_KEY']  # read it from the environment",
]
# where a secret may sit: prose, a code block, JSON, a URL query
WRAPPERS = ["note {} here", "```\nexport KEY={}\n```", '{{"token": "{}"}}', "https://x.example/cb?key={}&a=1"]


@pytest.mark.parametrize("wrapper", WRAPPERS)
def test_every_secret_shape_is_quarantined_wherever_it_sits(lakehouse: Path, wrapper: str) -> None:
    texts = {
        f"s{i}": filler(i) + "\n" + wrapper.format(value) + "\n" + filler(100 + i)
        for i, value in enumerate(SECRETS.values())
    }
    lake_of(lakehouse, texts)
    summary = export_json(lakehouse)
    kinds = [k.strip() for k in SECRETS]
    for exporter, q in (("rag", Q_RAG), ("sft", Q_SFT)):
        assert summary[exporter]["quarantine_by_reason"] == {"secret_detected": len(SECRETS)}, exporter
        rows = {r["source_record"]["evidence_run_id"]: r for r in output_rows(lakehouse, q)}
        for i, kind in enumerate(kinds):
            row = rows[f"s{i}"]
            assert row["reason"] == "secret_detected"
            # the kind and the 0-based character position, never the value
            text = texts[f"s{i}"]
            value = list(SECRETS.values())[i]
            pos = text.index(value) + (value.index("Wx7") if kind == "url_credentials" else 0)
            assert f"{kind} at character {pos}" in row["errors"], (kind, row["errors"])
            assert value not in json.dumps(row, ensure_ascii=False)
    assert output_rows(lakehouse, RAG) == output_rows(lakehouse, SFT) == []


def test_decoys_pass(lakehouse: Path) -> None:
    lake_of(lakehouse, {f"d{i}": filler(i) + "\n" + d for i, d in enumerate(DECOYS)})
    summary = export_json(lakehouse)
    assert summary["rag"]["records_exported"] == summary["sft"]["records_exported"] == len(DECOYS)
    assert summary["rag"]["quarantine_by_reason"] == {}


def test_redact_secrets_exports_redacted_rows_with_the_same_ids(lakehouse: Path, tmp_path: Path) -> None:
    texts = {f"s{i}": filler(i) + " " + v + " " + filler(50 + i) for i, v in enumerate(SECRETS.values())}
    texts["title"] = "key sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8t in the first line\n" + filler(99)
    lake_of(lakehouse, texts)
    summary = export_json(lakehouse, "export-all", "--redact-secrets")
    for exporter in ("rag", "sft"):
        assert summary[exporter]["records_redacted"] == len(texts)
        assert summary[exporter]["records_exported"] == len(texts)
    everything = "".join(p.read_text() for p in (lakehouse / "exports").rglob("*.jsonl"))
    for value in SECRETS.values():
        assert value.split("\n")[0] not in everything
    rag = {r["source_run_id"]: r for r in output_rows(lakehouse, RAG)}
    assert rag["s0"]["content"] == texts["s0"].replace(SECRETS["aws_access_key"], "[REDACTED:aws_access_key]")
    assert rag["s12"]["content"].count("[REDACTED:url_credentials]") == 1
    assert "postgres://admin:[REDACTED:url_credentials]@db.internal" in rag["s12"]["content"]
    assert rag["title"]["title"] == "key [REDACTED:api_key] in the first line"
    # ids do not change with redaction
    other = lakehouse.parent / "plain"
    lake_of(other, texts)
    export_json(other, "export-all", "--no-safety-gates")
    assert [r["id"] for r in output_rows(lakehouse, RAG)] == [r["id"] for r in output_rows(other, RAG)]


def test_redact_secrets_on_a_lake_without_any_secret_then_again(lakehouse: Path) -> None:
    """No text holds a secret (so text_secrets is empty), then a re-run, where no text is
    judged at all: both export as without redaction. DuckDB 2.0 once failed to bind the
    redacted title over the empty relation ("BindBuiltinScalarFunction did not return a
    BoundFunctionExpression")."""
    texts = {f"p{i}": filler(i) + "\n" + filler(40 + i) for i in range(4)}
    lake_of(lakehouse, texts)
    first = export_json(lakehouse, "export-all", "--redact-secrets")
    assert first["rag"]["records_exported"] == first["sft"]["records_exported"] == len(texts)
    assert first["rag"]["records_redacted"] == first["sft"]["records_redacted"] == 0
    rows = output_rows(lakehouse, RAG)
    assert {r["source_run_id"]: r["content"] for r in rows} == texts
    assert [r["title"] for r in rows] == [texts[r["source_run_id"]].split("\n")[0][:120] for r in rows]
    again = export_json(lakehouse, "export-all", "--redact-secrets")
    assert again["rag"]["skipped_existing"] == again["sft"]["skipped_existing"] == len(texts)
    assert again["rag"]["records_exported"] == again["sft"]["records_exported"] == 0


def test_a_preference_pair_whose_rejected_text_leaks_a_key(lakehouse: Path) -> None:
    lake_of(
        lakehouse,
        {"a": filler(1), "r": filler(2) + " " + SECRETS["slack_token"]},
        categories={"r": "rejected"},
        tasks={"a": "t:x", "r": "t:x"},
    )
    summary = export_json(lakehouse)
    assert summary["preference"]["quarantine_by_reason"] == {"secret_detected": 1}
    (row,) = output_rows(lakehouse, Q_PREF)
    assert row["source_record"] == {"task_id": "t:x", "chosen_run_id": "a", "rejected_run_id": "r"}
    assert any("slack_token" in e for e in row["errors"])
    redacted = lakehouse.parent / "redacted"
    lake_of(
        redacted,
        {"a": filler(1), "r": filler(2) + " " + SECRETS["slack_token"]},
        categories={"r": "rejected"},
        tasks={"a": "t:x", "r": "t:x"},
    )
    summary = export_json(redacted, "export-all", "--redact-secrets")
    assert summary["preference"]["records_redacted"] == 1
    (pair,) = output_rows(redacted, PREF)
    assert pair["rejected"].endswith("[REDACTED:slack_token]")


def test_no_secret_gate_turns_only_that_gate_off(lakehouse: Path) -> None:
    lake_of(lakehouse, {"s": filler(1) + " " + SECRETS["github_token"]})
    summary = export_json(lakehouse, "export-all", "--no-secret-gate")
    assert summary["rag"]["records_exported"] == 1
    assert summary["rag"]["safety_gates"]["secret_detected"]["on"] is False
    assert summary["rag"]["safety_gates"]["duplicate_content"]["on"] is True


# -- 12.2 file paths --------------------------------------------------------------------


def test_hallucinated_file_paths_against_a_manifest(lakehouse: Path) -> None:
    manifest = lakehouse.parent / "manifest.txt"
    manifest.write_text("./crates/real.rs\n\nsrc/lib.rs\r\n")
    lake_of(
        lakehouse,
        {"ok": filler(1), "dot": filler(2), "bad": filler(3), "none": filler(4)},
        ok={"source_files": ["crates/real.rs", "src/lib.rs"]},
        dot={"source_files": ["./crates/real.rs"]},
        bad={"source_files": ["crates/real.rs", "crates/invented.rs", 7]},
        none={"source_files": None},
    )
    summary = export_json(lakehouse, "export-all", "--repo-manifest", str(manifest))
    for exporter, q in (("rag", Q_RAG), ("sft", Q_SFT)):
        assert summary[exporter]["quarantine_by_reason"] == {"hallucinated_file_path": 1}
        (row,) = output_rows(lakehouse, q)
        assert row["source_record"]["evidence_run_id"] == "bad"
        assert any("crates/invented.rs" in e for e in row["errors"])
        assert not any("crates/real.rs" in e for e in row["errors"])


def test_repo_reads_the_tracked_files_of_a_work_tree(lakehouse: Path, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "crates").mkdir(parents=True)
    (repo / "crates" / "a.rs").write_text("fn main() {}\n")
    (repo / "untracked.rs").write_text("\n")
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run(["git", "-C", str(repo), "add", "crates/a.rs"], check=True)
    lake_of(
        lakehouse,
        {"a": filler(1), "u": filler(2)},
        a={"source_files": ["crates/a.rs"]},
        u={"source_files": ["untracked.rs"]},
    )
    summary = export_json(lakehouse, "export-all", "--repo", str(repo))
    assert reasons(lakehouse, Q_RAG) == {"u": "hallucinated_file_path"}
    assert summary["rag"]["safety_gates"]["hallucinated_file_path"]["on"] is True


def test_repo_that_is_not_a_work_tree_is_a_one_line_error(lakehouse: Path, tmp_path: Path) -> None:
    lake_of(lakehouse, {"a": filler(1)})
    p = run_cli("export-all", "--root", str(lakehouse), "--repo", str(tmp_path), check=False)
    assert p.returncode == 2
    assert "is not a git work tree" in p.stderr and len(p.stderr.strip().splitlines()) == 1
    assert not (lakehouse / "exports").exists()


# -- 12.3 benchmark contamination -------------------------------------------------------


def test_a_shared_13_gram_is_contamination_and_12_words_are_not(lakehouse: Path, tmp_path: Path) -> None:
    item = "the quick brown fox jumps over the lazy dog near the river bank today at noon"
    words = item.split()
    evals = tmp_path / "evals.jsonl"
    evals.write_text(json.dumps({"question": "q1 short", "answer": item, "n": 3}) + "\n" + "not json\n")
    plain = tmp_path / "evals.txt"
    plain.write_text(
        "\n\nan unrelated line of plain text that is long enough to count for thirteen words ok\n"
    )
    lake_of(
        lakehouse,
        {
            "c13": filler(1)
            + " "
            + " ".join(words[2:15]).upper()
            + ",\n"
            + filler(2),  # 13 words, case and punctuation differ
            "c12": filler(3) + " " + " ".join(words[2:14]) + " " + filler(4),  # 12 words only
            "txt": filler(5) + " An unrelated line of plain-text that is long enough to count for thirteen",
        },
    )
    summary = export_json(lakehouse, "export-all", "--decontaminate", str(evals), str(plain))
    assert reasons(lakehouse, Q_RAG) == {"c13": "benchmark_contamination", "txt": "benchmark_contamination"}
    rows = {r["source_record"]["evidence_run_id"]: r for r in output_rows(lakehouse, Q_SFT)}
    assert "evals.jsonl" in rows["c13"]["errors"][0] and "line 0" in rows["c13"]["errors"][0]
    assert "evals.txt" in rows["txt"]["errors"][0] and "line 2" in rows["txt"]["errors"][0]
    assert summary["rag"]["safety_gates"]["benchmark_contamination"]["ngram"] == 13
    # a smaller n catches the 12 shared words too
    again = lakehouse.parent / "n12"
    lake_of(again, {"c12": filler(3) + " " + " ".join(words[2:14]) + " " + filler(4)})
    export_json(again, "export-all", "--decontaminate", str(evals), "--decontaminate-ngram", "12")
    assert reasons(again, Q_RAG) == {"c12": "benchmark_contamination"}


def evaluation_lake(root: Path, elsewhere: Path) -> list[str]:
    """A lakehouse and two evaluation files with every way a line can hold an item or not
    (SPEC 12.3, n = 5); returns the export flags. EVALUATION_REFUSALS says what is refused."""
    evals = root / "evals.jsonl"  # in the root: named by its path there
    root.mkdir(parents=True, exist_ok=True)
    evals.write_bytes(b"\xef\xbb\xbf" + b"\n".join([
        b'{"q": "alpha beta gamma delta epsilon zeta", "n": 1}',  # after a BOM
        b'{"q": "one two three four five", "q": "six seven eight nine ten"}',  # each value counts
        b'{"q": "red green blue cyan magenta"} trailing',  # not JSON
        b'{"q": 12345, "r": ["lima mike november oscar papa"]}',  # no string value
        b'\xff{"q": "bad byte line words here"}',  # not UTF-8
        b'{"q": "shared words in both files"}\r',  # CRLF
    ]) + b"\n")
    # outside the root: named by its whole path (and a name Spark's file listing skips)
    plain = elsewhere / "_heldout.txt"
    plain.parent.mkdir(parents=True, exist_ok=True)
    plain.write_text("shared words in both files\n\n   \nquick brown fox jumps over\ntoo short\n"
                     "ΟΔΟΣ to İSTANBUL runs far\n")  # lower case as DuckDB maps it, letter by letter
    lake_of(root, {
        "split": filler(1) + " Alpha beta\ngamma, DELTA epsilon " + filler(2),  # across a line break
        "dup_first": filler(3) + " one two three four five " + filler(4),
        "dup_last": filler(5) + " six seven eight nine ten " + filler(6),
        "trailing": filler(7) + " red green blue cyan magenta " + filler(8),
        "number": filler(9) + " lima mike november oscar papa " + filler(10),
        "bad_byte": filler(11) + " bad byte line words here " + filler(12),
        "both": filler(13) + " shared words in both files " + filler(14),
        "plain": filler(15) + " quick brown fox jumps over " + filler(16),
        "short": filler(17) + " too short " + filler(18),
        "greek": filler(19) + " οδοσ to istanbul runs far " + filler(20),
    })
    return ["--decontaminate", str(evals), str(plain), "--decontaminate-ngram", "5"]


# run id -> (file, line) the refusal names; a tie at the same position names the first
# item by file and line (the whole path of _heldout.txt sorts before "evals.jsonl")
EVALUATION_REFUSALS = {
    "split": ("evals.jsonl", 0), "dup_first": ("evals.jsonl", 1), "dup_last": ("evals.jsonl", 1),
    "both": ("/_heldout.txt", 0), "plain": ("/_heldout.txt", 3), "greek": ("/_heldout.txt", 5),
}


def assert_evaluation_refusals(root: Path) -> None:
    rows = {r["source_record"]["evidence_run_id"]: r for r in output_rows(root, Q_RAG)}
    assert {k: r["reason"] for k, r in rows.items()} \
        == dict.fromkeys(EVALUATION_REFUSALS, "benchmark_contamination")
    for run_id, (file, line) in EVALUATION_REFUSALS.items():
        error = rows[run_id]["errors"][0]
        named = re.search(r"with (\S+) item on line (\d+)", error)
        assert named and named[1].endswith(file) and int(named[2]) == line, error
        assert file != "evals.jsonl" or named[1] == file, error
    assert "(\"alpha beta gamma delta epsilon ...\")" in rows["split"]["errors"][0]


def test_evaluation_files_are_read_line_by_line_as_partitions_are(tmp_path: Path) -> None:
    root = tmp_path / "lake"
    export_json(root, "export-all", *evaluation_lake(root, tmp_path / "evals"))
    assert_evaluation_refusals(root)


# -- 12.4 exact duplicates ----------------------------------------------------------------


def test_exact_duplicates_after_whitespace_normalisation(lakehouse: Path) -> None:
    base = filler(1, 30)
    lake_of(
        lakehouse,
        {
            "first": base,
            "spaces": "  " + base.replace(" ", " \t\u00a0 ", 5) + "\u3000\n",
            "case": base.upper(),  # not the same content (but a near duplicate)
            "other": filler(2),
        },
    )
    summary = export_json(lakehouse, "export-all", "--no-near-duplicate-gate")
    assert summary["rag"]["quarantine_by_reason"] == {"duplicate_content": 1}
    first_id = output_rows(lakehouse, RAG)[0]["id"]
    (row,) = output_rows(lakehouse, Q_RAG)
    assert row["source_record"]["evidence_run_id"] == "spaces"
    assert row["errors"] == [f"same content as {first_id}"]


def test_a_row_repeating_one_exported_by_an_earlier_run(lakehouse: Path) -> None:
    text = filler(7)
    lake_of(lakehouse, {"old": text})
    export_json(lakehouse)
    write_partition(lakehouse, "evidence", "2026/04/28/scrum_reviews.jsonl", [evidence("new", text + "  ")])
    write_partition(lakehouse, "scored-runs", "2026/04/28/scrum_reviews.jsonl", [scored("new")])
    summary = export_json(lakehouse)
    assert summary["rag"]["skipped_existing"] == 1
    assert summary["rag"]["quarantine_by_reason"] == {"duplicate_content": 1}
    assert reasons(lakehouse, Q_SFT) == {"new": "duplicate_content"}


def test_a_refused_record_never_wins_a_duplicate_check(lakehouse: Path) -> None:
    text = filler(9)
    lake_of(
        lakehouse,
        {
            "leaky": text + " " + SECRETS["stripe_key"],
            "clean": text + " " + SECRETS["stripe_key"],
            "rejected": filler(10),
            "later": filler(10),
        },
        categories={"rejected": "rejected"},
    )
    export_json(lakehouse)
    # both leak: both secret_detected, neither a duplicate of the other
    assert reasons(lakehouse, Q_RAG) == {
        "leaky": "secret_detected",
        "clean": "secret_detected",
        "rejected": "category_disallowed",
    }
    assert [r["source_run_id"] for r in output_rows(lakehouse, RAG)] == ["later"]


# -- 12.5 near duplicates -----------------------------------------------------------------


def shingles(text: str) -> set[str]:
    words = re.findall(r"[^\W_]+", text.lower())
    return (
        {" ".join(words)} if len(words) < 5 else {" ".join(words[i : i + 5]) for i in range(len(words) - 4)}
    )


def jaccard(a: str, b: str) -> float:
    x, y = shingles(a), shingles(b)
    return len(x & y) / len(x | y)


def variant(base: list[str], changes: int, seed: int) -> str:
    rng = random.Random(seed)
    words = list(base)
    for _ in range(changes):
        words[rng.randrange(len(words))] = f"changed{rng.randrange(10**6)}"
    return " ".join(words)


def test_near_duplicates_follow_the_exact_similarity_at_the_threshold(lakehouse: Path) -> None:
    """Variants of one text at similarities around 0.8: each is judged against the base only
    (their similarity to each other is lower), and exactly those at or above 0.8 go."""
    base = filler(3, 200).split()
    texts = {"base": " ".join(base)}
    for i, changes in enumerate([0, 1, 2, 3, 4, 5, 6, 8, 10, 14, 20]):
        texts[f"v{i}"] = variant(base, changes, seed=i) + f" tail{i}"
    sims = {rid: jaccard(texts["base"], t) for rid, t in texts.items() if rid != "base"}
    assert any(0.78 < s < 0.8 for s in sims.values()) or any(0.8 <= s < 0.82 for s in sims.values())
    lake_of(lakehouse, texts)
    export_json(lakehouse, "export-all", "--no-duplicate-gate")
    got = reasons(lakehouse, Q_RAG)
    exported = {r["source_run_id"] for r in output_rows(lakehouse, RAG)}
    for rid, s in sims.items():
        others = [
            o
            for o in exported
            if o != rid
            and jaccard(texts[o], texts[rid]) >= 0.8
            and list(texts).index(o) < list(texts).index(rid)
        ]
        if got.get(rid) == "near_duplicate":
            assert s >= 0.8 or others, (rid, s)
        else:
            assert rid in exported and s < 0.8 and not others, (rid, s)
    assert {rid for rid, s in sims.items() if s >= 0.9} <= set(got)


def test_a_text_close_only_to_a_refused_one_is_exported(lakehouse: Path) -> None:
    w = filler(4, 120).split()
    a, b, c = " ".join(w[0:100]), " ".join(w[10:110]), " ".join(w[20:120])  # b near a and c; c not near a
    assert jaccard(a, b) >= 0.8 and jaccard(b, c) >= 0.8 and jaccard(a, c) < 0.8
    lake_of(lakehouse, {"a": a, "b": b, "c": c})
    export_json(lakehouse)
    assert reasons(lakehouse, Q_RAG) == {"b": "near_duplicate"}
    (row,) = output_rows(lakehouse, Q_RAG)
    assert row["errors"][0].startswith(
        f"near duplicate of {output_rows(lakehouse, RAG)[0]['id']} (similarity 0."
    )


def test_boilerplate_texts_are_refused_as_close_to_the_first_whatever_their_number(lakehouse: Path) -> None:
    """Forty runs of one boilerplate text (each with its own last line) share every band: a
    text is compared with the first texts of each band only (the pairs would be quadratic),
    and every later one is still refused, as close to the first, the one exported."""
    boilerplate = filler(7, 150)
    texts = {f"b{i:02d}": f"{boilerplate} attempt {i}" for i in range(40)}
    assert min(jaccard(texts["b00"], t) for t in texts.values()) >= 0.9
    lake_of(lakehouse, texts)
    export_json(lakehouse, "export-all", "--no-duplicate-gate")
    (first,) = output_rows(lakehouse, RAG)
    assert first["source_run_id"] == "b00"
    assert reasons(lakehouse, Q_RAG) == {rid: "near_duplicate" for rid in texts if rid != "b00"}
    assert all(row["errors"][0].startswith(f"near duplicate of {first['id']} (similarity 0.9")
               for row in output_rows(lakehouse, Q_RAG))


def test_threshold_flag_and_pairs_of_near_identical_texts(lakehouse: Path) -> None:
    w = filler(5, 115).split()
    a, b = " ".join(w[0:100]), " ".join(w[15:115])
    s = jaccard(a, b)
    assert 0.6 < s < 0.8
    lake_of(
        lakehouse,
        {"a": a, "b": b, "pc": filler(6), "pr": filler(6) + " one more"},
        categories={"pr": "rejected"},
        tasks={"pc": "t:p", "pr": "t:p"},
    )
    summary = export_json(lakehouse, "export-all", "--near-duplicate-threshold", "0.6")
    assert reasons(lakehouse, Q_RAG)["b"] == "near_duplicate"
    assert summary["preference"]["quarantine_by_reason"] == {"near_duplicate": 1}
    assert summary["rag"]["safety_gates"]["near_duplicate"]["threshold"] == 0.6


def test_a_pairs_two_texts_are_near_duplicates_exactly_at_the_threshold(lakehouse: Path) -> None:
    """SPEC 12.5 for pairs: chosen against rejected, each pair its own task. Long texts (all
    32 hash ranges of the signature filled: the signature settles the pairs far apart) and
    short ones (20 words: compared exactly whatever their signatures say), at similarities
    on both sides of 0.8: exactly the pairs at or above it are near_duplicate."""
    texts, categories, tasks, sims = {}, {}, {}, {}
    for i, (n, changes) in enumerate([(200, c) for c in (1, 2, 4, 6, 8, 10, 14, 30, 100)]
                                     + [(20, 1), (20, 2), (20, 3)]):
        base = filler(100 + i, n).split()
        chosen = " ".join(base)
        rejected = (variant(base, changes, seed=i) if n > 20
                    else " ".join(base[:-changes] + [f"end{k}" for k in range(changes)]))
        texts[f"c{i}"], texts[f"r{i}"] = chosen, rejected
        categories[f"r{i}"] = "rejected"
        tasks[f"c{i}"] = tasks[f"r{i}"] = f"t:{i}"
        sims[f"c{i}"] = jaccard(chosen, rejected)
    assert any(0.75 < s < 0.8 for s in sims.values()) and any(0.8 <= s < 0.85 for s in sims.values())
    assert any(s >= 0.8 for rid, s in sims.items() if int(rid[1:]) >= 9)  # a short pair above it
    lake_of(lakehouse, texts, categories=categories, tasks=tasks)
    export_json(lakehouse, "export-all", "--no-duplicate-gate")
    near = {r["source_record"]["chosen_run_id"]: r["errors"][0] for r in output_rows(lakehouse, Q_PREF)
            if r["reason"] == "near_duplicate"}
    assert set(near) == {rid for rid, s in sims.items() if s >= 0.8}, sims
    for rid, error in near.items():
        assert f"{sims[rid]:.2f}".rstrip("0") in error, (error, sims[rid])
    exported = {r["chosen_run_id"] for r in output_rows(lakehouse, PREF)}
    assert exported == {rid for rid, s in sims.items() if s < 0.8}


def test_no_safety_gates_turns_every_gate_off(lakehouse: Path) -> None:
    text = filler(1) + " " + SECRETS["aws_access_key"]
    lake_of(lakehouse, {"a": text, "b": text})
    summary = export_json(lakehouse, "export-all", "--no-safety-gates")
    assert summary["rag"]["records_exported"] == 2
    assert all(not g["on"] for g in summary["rag"]["safety_gates"].values())
    receipt = json.loads(next((lakehouse / "reports" / "distillation").glob("*/receipt.json")).read_text())
    assert receipt["options"]["safety_gates"]["secret_detected"]["on"] is False
    runs = [json.loads(x) for x in (lakehouse / "reports/distillation/runs.jsonl").read_text().splitlines()]
    assert runs[0]["safety_gates"]["near_duplicate"]["on"] is False


def test_gate_settings_reach_the_warehouse_runs_relation(lakehouse: Path) -> None:
    lake_of(lakehouse, {"a": filler(1)})
    export_json(lakehouse, "export-all", "--near-duplicate-threshold", "0.85")
    p = run_cli(
        "query",
        "--root",
        str(lakehouse),
        "--format",
        "csv",
        "SELECT exporter, safety_gates->>'$.near_duplicate.threshold' AS t FROM runs ORDER BY exporter",
    )
    assert "0.85" in p.stdout


def test_bad_gate_flags_are_one_line_errors(lakehouse: Path, tmp_path: Path) -> None:
    lake_of(lakehouse, {"a": filler(1)})
    for flags in (
        ["--repo-manifest", str(tmp_path / "nope.txt")],
        ["--decontaminate", str(tmp_path / "x")],
        ["--near-duplicate-threshold", "1.5"],
        ["--decontaminate-ngram", "0"],
    ):
        p = run_cli("export-all", "--root", str(lakehouse), "--recorded-at", RECORDED_AT, *flags, check=False)
        assert p.returncode == 2, flags
        assert len(p.stderr.strip().splitlines()) == 1, p.stderr


# -- 12.6 health audits rows exported before the gates ------------------------------------


def test_health_finds_old_rows_a_gate_would_now_refuse(lakehouse: Path) -> None:
    text = filler(1)
    lake_of(
        lakehouse,
        {"key": filler(2) + " " + SECRETS["github_token"], "a": text, "b": text + " ", "ok": filler(3)},
    )
    export_json(lakehouse, "export-all", "--no-safety-gates")
    p = run_cli("health", "--root", str(lakehouse), "--json", check=False)
    assert p.returncode == 1
    found = {(v["file"], v["line"], v["check"]) for v in json.loads(p.stdout)["violations"]}
    assert found == {
        (f, line, check)
        for f in (RAG, SFT)
        for line, check in ((0, "secret_detected"), (2, "duplicate_content"))
    }
    assert SECRETS["github_token"] not in p.stdout
    # exported with the gates on, the same lakehouse is healthy
    clean = lakehouse.parent / "clean"
    lake_of(
        clean, {"key": filler(2) + " " + SECRETS["github_token"], "a": text, "b": text + " ", "ok": filler(3)}
    )
    export_json(clean)
    assert run_cli("health", "--root", str(clean), check=False).returncode == 0


def test_the_report_charts_refusals_by_gate(lakehouse: Path) -> None:
    text = filler(1)
    lake_of(lakehouse, {"key": filler(2) + " " + SECRETS["jwt"], "a": text, "b": text})
    export_json(lakehouse)
    run_cli("report", "--root", str(lakehouse))
    html = (lakehouse / "reports/distillation/report.html").read_text()
    chart = html[html.index("Refused by the safety gates") :]
    assert "secret_detected" in chart and "duplicate_content" in chart
