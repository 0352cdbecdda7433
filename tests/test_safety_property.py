"""Property tests of the safety gates (SPEC 12) with the gates on: whatever mix of planted
secrets, repeated and near-repeated texts arrives, over one run or two, no exported row
holds a planted secret, no two rows of a dataset file are the same content, none are near
copies, and every record is still accounted for."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.conftest import evidence, output_rows, scored, write_partition
from tests.conftest import export_json as export_run
from tests.test_safety import DECOYS, PREF, RAG, SECRETS, SFT, filler, jaccard


def export_json(root: Path) -> dict:
    return export_run(root, gates=True)


JS_WS = (
    "\t\n\x0b\x0c\r \u00a0\u1680"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + "\u2028\u2029\u202f\u205f\u3000\ufeff"
)
TEXT = st.one_of(
    st.tuples(st.just("fresh"), st.integers(0, 10**6)),
    st.tuples(st.just("copy"), st.integers(0, 50)),  # an earlier text, whitespace changed
    st.tuples(st.just("near"), st.integers(0, 50)),  # an earlier text, one word changed
    st.tuples(st.just("secret"), st.sampled_from(sorted(SECRETS))),
    st.tuples(st.just("decoy"), st.sampled_from(DECOYS)),
)
RECORD = st.fixed_dictionaries(
    {
        "text": TEXT,
        "category": st.sampled_from(["accepted", "accepted", "accepted", "partially_accepted", "rejected"]),
        "task": st.sampled_from(["t:a", "t:b", "t:c"]),
        "day": st.sampled_from([1, 1, 2]),
    }
)


def normal(text: str) -> str:
    return re.sub(f"[{re.escape(JS_WS)}]+", " ", text).strip(JS_WS)


def make_texts(specs: list[dict[str, Any]]) -> list[str]:
    texts: list[str] = []
    for i, spec in enumerate(specs):
        kind, arg = spec["text"]
        earlier = texts[arg % len(texts)] if texts and isinstance(arg, int) else filler(i)
        if kind == "fresh":
            texts.append(filler(arg, 40))
        elif kind == "copy":
            texts.append("  " + earlier.replace(" ", "\u00a0 \t", 2) + "\n")
        elif kind == "near":
            words = earlier.split()
            words[len(words) // 2] = f"changed{i}"
            texts.append(" ".join(words))
        elif kind == "secret":
            texts.append(filler(i, 40) + f"\nkey: {SECRETS[arg]}\n")
        else:
            texts.append(filler(i, 40) + "\n" + arg)
    return texts


# each example is two real export runs: no shrinking phase (it would run hundreds more)
@settings(
    max_examples=8,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
    phases=[Phase.explicit, Phase.generate],
)
@given(st.lists(RECORD, min_size=2, max_size=14))
def test_no_planted_secret_or_duplicate_reaches_a_dataset(specs: list[dict[str, Any]]) -> None:
    texts = make_texts(specs)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        summaries = []
        for day in (1, 2):  # the second day's records meet the first day's rows in the files
            rel = f"2026/04/2{day}/mix.jsonl"
            mine = [(i, s) for i, s in enumerate(specs) if s["day"] == day]
            write_partition(
                root, "evidence", rel, [evidence(f"r{i}", texts[i], task_id=s["task"]) for i, s in mine]
            )
            write_partition(
                root, "scored-runs", rel, [scored(f"r{i}", s["category"], task=s["task"]) for i, s in mine]
            )
            summaries.append(export_json(root))
        for s in summaries:
            for name in ("rag", "sft"):
                x = s[name]
                assert (
                    x["records_exported"] + x["records_quarantined"] + x["skipped_existing"]
                    == x["records_read"]
                )
        everything = {rel: output_rows(root, rel) for rel in (RAG, SFT, PREF)}
        values = [v.split("\n")[0] for v in SECRETS.values()]
        for rel, rows in everything.items():
            for row in rows:
                for field in ("content", "response", "chosen", "rejected"):
                    if field in row:
                        assert not any(v in row[field] for v in values), (rel, row)
        for rel, field in ((RAG, "content"), (SFT, "response")):
            seen = [normal(r[field]) for r in everything[rel]]
            assert len(seen) == len(set(seen)), rel
            docs = [r[field] for r in everything[rel]]
            for a in range(len(docs)):
                for b in range(a):
                    assert jaccard(docs[a], docs[b]) < 0.95, (rel, a, b)
        pairs = [(normal(r["chosen"]), normal(r["rejected"])) for r in everything[PREF]]
        assert len(pairs) == len(set(pairs))
