"""`distill-duck dataset OUT` (SPEC section 13): the folder loads in the real clients, the
splits are by task and stable, and the folder is replaced whole."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest

from distill_duck.cli import main
from tests.conftest import RECORDED_AT, evidence, output_rows, scored, write_partition

SFT_FILE = "exports/sft/instruction_response.jsonl"
PREF_FILE = "exports/preference/chosen_rejected.jsonl"
RAG_FILE = "exports/rag/playbooks.jsonl"


def run(*args: str) -> int:
    return main(list(args))


def export(root: Path) -> None:
    assert run("export-all", "--root", str(root), "--recorded-at", RECORDED_AT, "--json") == 0


def build(root: Path, out: Path, *flags: str) -> None:
    assert run("dataset", str(out), "--root", str(root), *flags) == 0


def card_yaml(out: Path) -> dict[str, Any]:
    yaml = pytest.importorskip("yaml")
    text = (out / "README.md").read_text("utf-8")
    assert text.startswith("---\n")
    return yaml.safe_load(text.split("---\n", 2)[1])


def declared_splits(out: Path) -> dict[str, dict[str, str]]:
    configs = card_yaml(out)["configs"]
    return {c["config_name"]: {f["split"]: f["path"] for f in c["data_files"]} for c in configs}


def split_of(task_id: str, eval_fraction: float, test_fraction: float) -> str:
    """The rule the card documents, computed here from sha256 directly."""
    u = int(hashlib.sha256(task_id.encode()).hexdigest()[:13], 16) / 16**13
    if u < eval_fraction:
        return "validation"
    if u >= 1 - test_fraction:
        return "test"
    return "train"


def read_rows(path: Path) -> list[dict[str, Any]]:
    """A data file's rows: Parquet read with DuckDB, JSONL with json."""
    if path.suffix != ".parquet":
        return jsonl_lines(path)
    import duckdb

    cur = duckdb.connect().execute("SELECT * FROM read_parquet(?)", [str(path)])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def rows_of(out: Path, config: str) -> dict[str, list[dict[str, Any]]]:
    """Every row of a config per split, as the card declares them."""
    return {split: read_rows(out / rel) for split, rel in declared_splits(out).get(config, {}).items()}


def jsonl_lines(path: Path) -> list[Any]:
    """A JSONL file as a fine-tuning service reads it: UTF-8, one JSON value a line."""
    text = path.read_bytes().decode("utf-8")  # UTF-8 or this raises
    assert text.endswith("\n") and "\r" not in text
    return [json.loads(line) for line in text.split("\n")[:-1]]


# -- the demo lakehouse, built once ----------------------------------------------------------

@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("dataset-demo")
    root = base / "lake"
    assert run("demo", str(root), "--runs", "600") == 0
    export(root)
    outs = {"parquet": base / "out-parquet", "jsonl": base / "out-jsonl"}
    build(root, outs["parquet"], "--test-fraction", "0.1")
    build(root, outs["jsonl"], "--format", "jsonl", "--test-fraction", "0.1")
    return {"root": root, **outs}


@pytest.mark.parametrize("fmt", ["parquet", "jsonl"])
@pytest.mark.parametrize("config", ["sft", "preference", "rag"])
def test_datasets_loads_every_config_with_the_declared_splits(demo: dict[str, Path], fmt: str,
                                                              config: str, tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    out = demo[fmt]
    declared = declared_splits(out)[config]
    assert all(p.endswith("." + fmt) for p in declared.values())
    loaded = datasets.load_dataset(str(out), config, cache_dir=str(tmp_path / "hf"))
    assert set(loaded) == set(declared)
    export_file = {"sft": SFT_FILE, "preference": PREF_FILE, "rag": RAG_FILE}[config]
    exported = output_rows(demo["root"], export_file)
    # every row of the export file, once
    ids = [i for split in loaded.values() for i in split["id"]]
    assert sorted(ids) == sorted(r["id"] for r in exported)
    if config == "rag":
        assert set(declared) == {"train"}
    else:
        assert {"train", "validation", "test"} <= set(declared)  # 600 runs give every split rows
        columns = {"sft": {"id", "task_id", "messages", "quality_score", "source_run_id"},
                   "preference": {"id", "task_id", "prompt", "chosen", "rejected", "reason"}}[config]
        assert set(loaded["train"].column_names) == columns


def test_sft_rows_are_the_export_rows_as_conversations(demo: dict[str, Path]) -> None:
    exported = {r["id"]: r for r in output_rows(demo["root"], SFT_FILE)}
    rows = [r for split in rows_of(demo["parquet"], "sft").values() for r in split]
    assert len(rows) == len(exported)
    with_context = 0
    for row in rows:
        src = exported[row["id"]]
        user, assistant = row["messages"]
        expected_user = src["instruction"] + ("\n\n" + src["context"] if src["context"] else "")
        with_context += bool(src["context"])
        assert user == {"role": "user", "content": expected_user}
        assert assistant == {"role": "assistant", "content": src["response"]}
        assert row["quality_score"] == src["quality_score"] == "accepted"
        assert row["source_run_id"] == src["source_run_id"]
    assert with_context > 0


def test_the_card_states_counts_sources_and_metadata(demo: dict[str, Path]) -> None:
    out, root = demo["parquet"], demo["root"]
    meta = card_yaml(out)
    assert meta["license"] == "other" and meta["pretty_name"] == "distill_duck"
    assert {"sft", "dpo"} <= set(meta["tags"]) and "text-generation" in meta["task_categories"]
    total = sum(len(output_rows(root, rel)) for rel in (SFT_FILE, PREF_FILE, RAG_FILE))
    assert meta["size_categories"] == ["n<1K" if total < 1000 else "1K<n<10K"]
    body = (out / "README.md").read_text("utf-8")
    for rel in (SFT_FILE, PREF_FILE, RAG_FILE):
        assert hashlib.sha256((root / rel).read_bytes()).hexdigest() in body
    for split, rows in rows_of(out, "sft").items():
        assert f"| sft | {split} | {len(rows)} |" in body
    assert "firewall" in body and "safety gates" in body
    # the gates the export receipts record as on (the defaults of SPEC 12)
    assert "secret_detected, duplicate_content, near_duplicate (threshold=0.8)" in body
    receipt = json.loads((out / "receipt.json").read_text("utf-8"))
    assert receipt["rows"]["sft"] == {s: len(r) for s, r in rows_of(out, "sft").items()}
    inputs = {i["file"]: i["sha256"] for i in receipt["inputs"]}
    assert PREF_FILE in inputs and any(f.startswith("data/scored-runs/") for f in inputs)
    # each digest is the file's own, whether hashed now or taken from the export run's
    # file_facts.json (a file whose stat did not change since)
    for rel, digest in inputs.items():
        assert digest == hashlib.sha256((root / rel).read_bytes()).hexdigest(), rel
    for rel, facts in receipt["files"].items():
        assert facts["sha256"] == hashlib.sha256((out / rel).read_bytes()).hexdigest()
    assert sum(f["rows"] for rel, f in receipt["files"].items() if rel.startswith("openai/sft.")) == sum(
        receipt["rows"]["sft"].values())


# -- TRL -----------------------------------------------------------------------------------

CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}<|end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)


def tiny_tokenizer() -> Any:
    """A word-level tokenizer made here (no downloads) with a small chat template."""
    tokenizers = pytest.importorskip("tokenizers")
    transformers = pytest.importorskip("transformers")
    tok = tokenizers.Tokenizer(tokenizers.models.WordLevel({"[UNK]": 0, "[PAD]": 1, "[EOS]": 2},
                                                           unk_token="[UNK]"))
    tok.pre_tokenizer = tokenizers.pre_tokenizers.Whitespace()
    t = transformers.PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]",
                                             eos_token="[EOS]")
    t.chat_template = CHAT_TEMPLATE
    return t


def test_trl_reads_the_rows_as_conversations(demo: dict[str, Path], tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    data_utils = pytest.importorskip("trl.data_utils")
    tokenizer = tiny_tokenizer()
    sft = datasets.load_dataset(str(demo["parquet"]), "sft", cache_dir=str(tmp_path / "hf"))["train"]
    pref = datasets.load_dataset(str(demo["parquet"]), "preference", cache_dir=str(tmp_path / "hf"))["train"]
    row = sft[0]
    assert data_utils.is_conversational(row)
    text = data_utils.maybe_apply_chat_template(row, tokenizer)["text"]
    assert text == (f"<|user|>{row['messages'][0]['content']}<|end|>\n"
                    f"<|assistant|>{row['messages'][1]['content']}<|end|>\n")
    for pair in pref.select(range(20)):
        assert data_utils.is_conversational(pair)
        applied = data_utils.maybe_apply_chat_template(pair, tokenizer)
        # the explicit prompt is the prompt: nothing of an answer moved into it
        assert applied["prompt"] == f"<|user|>{pair['prompt'][0]['content']}<|end|>\n<|assistant|>"
        assert applied["chosen"].startswith(pair["chosen"][0]["content"])
        assert applied["rejected"].startswith(pair["rejected"][0]["content"])
    # KTOTrainer's input: the pairs unpaired into labelled completions
    unpaired = data_utils.unpair_preference_dataset(pref.select(range(10)).remove_columns(
        ["id", "task_id", "reason"]))
    assert unpaired.num_rows == 20 and set(unpaired["label"]) == {True, False}


@pytest.mark.slow
def test_trl_trains_on_the_folder_as_it_is(demo: dict[str, Path], tmp_path: Path) -> None:
    """SFTTrainer and DPOTrainer take a step on the loaded splits, with no conversion: a tiny
    randomly initialised model built here (no downloads)."""
    import copy

    datasets = pytest.importorskip("datasets")
    trl = pytest.importorskip("trl")
    transformers = pytest.importorskip("transformers")
    tokenizer = tiny_tokenizer()
    model = transformers.LlamaForCausalLM(transformers.LlamaConfig(
        vocab_size=8, hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2,
        num_key_value_heads=2, max_position_embeddings=256, pad_token_id=1, eos_token_id=2, bos_token_id=2))
    common = {"max_steps": 1, "per_device_train_batch_size": 2, "report_to": [], "max_length": 128,
              "save_strategy": "no", "use_cpu": True}
    sft = datasets.load_dataset(str(demo["parquet"]), "sft", cache_dir=str(tmp_path / "hf"))
    trainer = trl.SFTTrainer(model=model, processing_class=tokenizer,
                             args=trl.SFTConfig(output_dir=str(tmp_path / "sft"), **common),
                             train_dataset=sft["train"].select(range(4)),
                             eval_dataset=sft["validation"].select(range(2)))
    assert trainer.train().training_loss > 0
    assert trainer.evaluate()["eval_loss"] > 0
    pref = datasets.load_dataset(str(demo["parquet"]), "preference", cache_dir=str(tmp_path / "hf"))
    dpo = trl.DPOTrainer(model=model, ref_model=copy.deepcopy(model), processing_class=tokenizer,
                         args=trl.DPOConfig(output_dir=str(tmp_path / "dpo"), **common),
                         train_dataset=pref["train"].select(range(4)))
    assert dpo.train().training_loss > 0


# -- OpenAI-style files --------------------------------------------------------------------

def chat_format_errors(examples: list[Any]) -> Counter[str]:
    """The checks of OpenAI's chat fine-tuning data-validation recipe."""
    errors: Counter[str] = Counter()
    for ex in examples:
        if not isinstance(ex, dict):
            errors["data_type"] += 1
            continue
        messages = ex.get("messages")
        if not messages:
            errors["missing_messages_list"] += 1
            continue
        for message in messages:
            if "role" not in message or "content" not in message:
                errors["message_missing_key"] += 1
            if any(k not in ("role", "content", "name", "function_call", "weight") for k in message):
                errors["message_unrecognized_key"] += 1
            if message.get("role") not in ("system", "user", "assistant", "function"):
                errors["unrecognized_role"] += 1
            content = message.get("content")
            if not content or not isinstance(content, str) or not content.strip():
                errors["missing_content"] += 1
        if not any(m.get("role") == "assistant" for m in messages):
            errors["example_missing_assistant_message"] += 1
    return errors


def test_openai_style_files_pass_the_format_checks(demo: dict[str, Path]) -> None:
    out = demo["parquet"]
    sft_files = sorted((out / "openai").glob("sft.*.jsonl"))
    dpo_files = sorted((out / "openai").glob("dpo.*.jsonl"))
    assert [p.name for p in sft_files] == ["sft.test.jsonl", "sft.train.jsonl", "sft.validation.jsonl"]
    assert len(dpo_files) == 3
    total = 0
    for path in sft_files:
        rows = jsonl_lines(path)
        assert rows and chat_format_errors(rows) == Counter()
        total += len(rows)
        assert all(list(r) == ["messages"] for r in rows)
        assert all([m["role"] for m in r["messages"]] == ["user", "assistant"] for r in rows)
    assert total == len(output_rows(demo["root"], SFT_FILE))
    for path in dpo_files:
        rows = jsonl_lines(path)
        assert rows
        for r in rows:
            assert list(r) == ["input", "preferred_output", "non_preferred_output"]
            # the input is a conversation ending in the user's turn; each output one assistant turn
            for key in ("preferred_output", "non_preferred_output"):
                assert chat_format_errors([{"messages": r["input"]["messages"] + r[key]}]) == Counter()
                assert len(r[key]) == 1 and r[key][0]["role"] == "assistant"
            assert r["input"]["messages"][-1]["role"] == "user"
            assert r["preferred_output"][0]["content"] != r["non_preferred_output"][0]["content"]


# -- LlamaFactory --------------------------------------------------------------------------

def test_dataset_info_names_what_every_row_holds(demo: dict[str, Path]) -> None:
    for fmt in ("parquet", "jsonl"):
        out = demo[fmt]
        info = json.loads((out / "dataset_info.json").read_text("utf-8"))
        assert {"distill_duck_sft_train", "distill_duck_sft_validation", "distill_duck_preference_train",
                "distill_duck_rag_train"} <= set(info)
        for name, entry in info.items():
            path = out / entry["file_name"]
            assert path.is_file(), name
            rows = read_rows(path)
            assert rows, name
            for column in entry["columns"].values():
                assert all(row.get(column) is not None for row in rows), (name, column)
            if entry.get("formatting") != "sharegpt":
                continue
            tags = entry["tags"]
            roles = {tags["user_tag"], tags["assistant_tag"]}
            for row in rows:
                messages = row[entry["columns"]["messages"]]
                assert all(set(m) >= {tags["role_tag"], tags["content_tag"]} for m in messages)
                assert all(m[tags["role_tag"]] in roles for m in messages)
                if entry.get("ranking"):
                    # a prompt ending in the user's turn, then one assistant message each
                    assert len(messages) % 2 == 1 and messages[-1][tags["role_tag"]] == tags["user_tag"]
                    for key in ("chosen", "rejected"):
                        answer = row[entry["columns"][key]]
                        assert isinstance(answer, dict) and answer[tags["role_tag"]] == tags["assistant_tag"]
                        assert answer[tags["content_tag"]].strip()
                else:
                    roles_in_order = [m[tags["role_tag"]] for m in messages]
                    assert roles_in_order == [tags["user_tag"], tags["assistant_tag"]]


# -- splits by task ------------------------------------------------------------------------

def write_tasks(root: Path, day: str, tasks: range, runs_per_task: int, tag: str) -> None:
    """Per task: runs_per_task accepted executor runs and one rejected run, in one partition.
    The evidence's own task_id differs from the scored one, which decides the task."""
    scored_lines, evidence_lines = [], []
    for t in tasks:
        for k in range(runs_per_task + 1):
            run_id = f"{tag}-t{t}-r{k}"
            category = "rejected" if k == runs_per_task else "accepted"
            scored_lines.append(scored(run_id, category, task=f"task:{t}"))
            role = "extractor" if t % 50 == 0 else "executor"  # no instruction shape
            evidence_lines.append(evidence(run_id, text=f"# Run {run_id}\n{category} body {t}/{k}",
                                           role=role, task_id=f"ev-{run_id}"))
    write_partition(root, "scored-runs", f"{day}/scrum_reviews.jsonl", scored_lines)
    write_partition(root, "evidence", f"{day}/scrum_reviews.jsonl", evidence_lines)


def splits_by_task(out: Path, config: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = defaultdict(set)
    for split, rows in rows_of(out, config).items():
        for row in rows:
            found[row["task_id"]].add(split)
    return found


def split_by_id(out: Path, config: str) -> dict[str, str]:
    return {row["id"]: split for split, rows in rows_of(out, config).items() for row in rows}


def test_splits_are_by_task_sized_by_the_fractions_and_stable(tmp_path: Path) -> None:
    root = tmp_path / "lake"
    write_tasks(root, "2026/03/01", range(2000), runs_per_task=1, tag="a")
    export(root)
    out = tmp_path / "out"
    build(root, out, "--eval-fraction", "0.1", "--test-fraction", "0.2")

    sft, pref = splits_by_task(out, "sft"), splits_by_task(out, "preference")
    assert len(sft) == 2000 - 40 and len(pref) == 2000  # extractor runs are no SFT rows
    for tasks in (sft, pref):
        assert all(len(splits) == 1 for splits in tasks.values())  # no task in two splits
    # the same task lands in the same split in every config
    assert all(sft[t] == pref[t] for t in sft)
    shares: Counter[str] = Counter(next(iter(s)) for s in pref.values())
    assert abs(shares["validation"] / 2000 - 0.1) < 0.025
    assert abs(shares["test"] / 2000 - 0.2) < 0.03
    assert all(next(iter(s)) == split_of(t, 0.1, 0.2) for t, s in pref.items())

    # a new day: more runs of old tasks and new tasks; nothing already there moves
    before = {c: split_by_id(out, c) for c in ("sft", "preference")}
    write_tasks(root, "2026/03/02", range(1500, 2600), runs_per_task=2, tag="b")
    export(root)
    build(root, out, "--eval-fraction", "0.1", "--test-fraction", "0.2")
    after_tasks = splits_by_task(out, "preference")
    assert len(after_tasks) == 2600 and all(len(s) == 1 for s in after_tasks.values())
    assert all(after_tasks[t] == pref[t] for t in pref)
    for config, old in before.items():
        now = split_by_id(out, config)
        assert len(now) > len(old)
        assert all(now[i] == s for i, s in old.items())


def test_task_ids_and_prompts_are_looked_up_in_the_lakehouse(tmp_path: Path) -> None:
    root = tmp_path / "lake"
    write_tasks(root, "2026/03/01", range(100), runs_per_task=1, tag="a")
    export(root)
    out = tmp_path / "out"
    build(root, out)
    sft_rows = {r["source_run_id"]: r for rows in rows_of(out, "sft").values() for r in rows}
    # the scored record's evidence_task_id, not the evidence's own task_id
    assert all(r["task_id"] == "task:" + run.split("-t")[1].split("-")[0] for run, r in sft_rows.items())
    exported_pairs = {r["id"]: r for r in output_rows(root, PREF_FILE)}
    fallbacks = 0
    for pair in (r for rows in rows_of(out, "preference").values() for r in rows):
        src = exported_pairs[pair["id"]]
        asked = pair["prompt"][0]["content"]
        if src["chosen_run_id"] in sft_rows:
            # what SFT asks for the chosen run, built the same way
            assert pair["prompt"] == [sft_rows[src["chosen_run_id"]]["messages"][0]]
        else:  # the chosen run has no instruction shape (an extractor): the export row's prompt
            fallbacks += 1
            assert asked == src["prompt"] and asked.startswith("Task: task:")
        assert pair["chosen"] == [{"role": "assistant", "content": src["chosen"]}]
        assert pair["rejected"] == [{"role": "assistant", "content": src["rejected"]}]
    assert fallbacks == 2  # tasks 0 and 50

    # the records leave the lakehouse: SFT rows fall back to their run id, pairs to the
    # task their prompt names (the same task as before, so the same split)
    before = splits_by_task(out, "preference")
    shutil.rmtree(root / "data" / "scored-runs")
    shutil.rmtree(root / "data" / "evidence")
    build(root, out)
    assert {r["task_id"] for rows in rows_of(out, "sft").values() for r in rows} == set(sft_rows)
    assert splits_by_task(out, "preference") == before
    assert all(r["prompt"][0]["content"].startswith("Task: ")
               for rows in rows_of(out, "preference").values() for r in rows)


# -- the folder, the command line ----------------------------------------------------------

@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2", "rename-aside"])
def test_rebuild_replaces_the_folder_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           exchange: bool) -> None:
    from distill_duck import dataset

    if not exchange:  # a system without RENAME_EXCHANGE
        monkeypatch.setattr(dataset, "_exchange", lambda a, b: False)
    root = tmp_path / "lake"
    write_tasks(root, "2026/03/01", range(30), runs_per_task=1, tag="a")
    export(root)
    out = tmp_path / "out"
    build(root, out, "--format", "jsonl")
    (out / "stray.txt").write_text("left by someone")
    build(root, out)
    assert not (out / "stray.txt").exists()
    assert list((out / "data").rglob("*.parquet")) and not list((out / "data").rglob("*.jsonl"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lake", "out"]  # nothing left beside it


def test_a_failed_build_leaves_the_old_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    from distill_duck import dataset

    root = tmp_path / "lake"
    write_tasks(root, "2026/03/01", range(30), runs_per_task=1, tag="a")
    export(root)
    out = tmp_path / "out"
    build(root, out)
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}

    def broken(*args: Any, **kwargs: Any) -> dict[str, Any]:
        raise OSError(28, "No space left on device", str(out))

    monkeypatch.setattr(dataset, "llamafactory_info", broken)
    assert run("dataset", str(out), "--root", str(root)) == 3  # a full disk: exit 3 (SPEC 11)
    assert "No space left on device" in capsys.readouterr().err
    assert {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lake", "out"]


@pytest.mark.parametrize("flags, message", [
    (["--eval-fraction", "1.5"], "--eval-fraction"),
    (["--test-fraction", "-0.1"], "--test-fraction"),
    (["--eval-fraction", "0.5", "--test-fraction", "0.5"], "nothing to train on"),
    (["--name", "a,b"], "--name"),
    (["--format", "csv"], "--format"),
])
def test_bad_options_exit_2_and_write_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                              flags: list[str], message: str) -> None:
    root = tmp_path / "lake"
    write_tasks(root, "2026/03/01", range(3), runs_per_task=1, tag="a")
    export(root)
    capsys.readouterr()
    assert run("dataset", str(tmp_path / "out"), "--root", str(root), *flags) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_refuses_a_folder_it_did_not_write_and_a_lakehouse_without_exports(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "lake"
    write_tasks(root, "2026/03/01", range(3), runs_per_task=1, tag="a")
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "notes.txt").write_text("keep me")
    assert run("dataset", str(tmp_path / "out"), "--root", str(root)) == 2
    assert "export-all" in capsys.readouterr().err  # nothing exported yet
    assert not (tmp_path / "out").exists()
    export(root)
    assert run("dataset", str(precious), "--root", str(root)) == 2
    assert "did not write" in capsys.readouterr().err
    assert [p.name for p in precious.iterdir()] == ["notes.txt"]


def test_a_config_without_rows_is_not_declared(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    datasets = pytest.importorskip("datasets")
    root = tmp_path / "lake"
    write_partition(root, "scored-runs", "2026/03/01/scrum_reviews.jsonl",
                    [scored(f"r{i}") for i in range(4)])
    write_partition(root, "evidence", "2026/03/01/scrum_reviews.jsonl",
                    [evidence(f"r{i}", text=f"text {i}") for i in range(4)])
    export(root)  # accepted runs only: no preference pairs
    out = tmp_path / "out"
    capsys.readouterr()
    build(root, out, "--format", "jsonl")
    assert "preference  no rows" in capsys.readouterr().out
    assert set(declared_splits(out)) == {"sft", "rag"}
    assert not (out / "data" / "preference").exists() and not list((out / "openai").glob("dpo.*"))
    assert not [k for k in json.loads((out / "dataset_info.json").read_text()) if "_preference_" in k]
    assert datasets.load_dataset(str(out), "sft", cache_dir=str(tmp_path / "hf"))["train"].num_rows == 4
    with pytest.raises(ValueError, match="preference"):
        datasets.load_dataset(str(out), "preference", cache_dir=str(tmp_path / "hf"))


def test_export_runs_do_not_run_the_dataset_models(tmp_path: Path) -> None:
    root = tmp_path / "lake"
    write_tasks(root, "2026/03/01", range(3), runs_per_task=1, tag="a")
    export(root)
    receipt = json.loads(next((root / "reports" / "distillation").glob("*/receipt.json")).read_text())
    assert receipt["timings_ms"]["models"]
    assert not [m for m in receipt["timings_ms"]["models"] if m.startswith("dataset_")]
