"""Benchmark: recall and false candidates of the near-duplicate gate's candidate scheme.

    python bench/near_duplicates.py                     # the BENCHMARKS.md numbers
    python bench/near_duplicates.py --texts 2000        # a quick run

Generates a corpus of distinct texts (random words from a large vocabulary) and plants
near duplicates of some of them at known edit rates, then runs the gate's own SQL (the
`fingerprints` macro of sql/macros/fingerprints.sql and its band join) in DuckDB and
compares with the exact Jaccard similarity of every planted pair (the `jaccard` macro):

  recall >= 0.9     planted pairs of similarity >= 0.9 that became candidates (SPEC 12.5: >= 95 %)
  recall 0.8-0.9    the same for pairs between the default threshold and 0.9
  false candidates  candidate pairs below the threshold (the exact check drops every one)
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from distill_duck.runner import Project  # noqa: E402
from distill_duck.session import RunOptions, connect  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--texts", type=int, default=20_000, help="distinct base texts")
    parser.add_argument("--planted", type=int, default=4_000, help="near duplicates planted")
    parser.add_argument("--words", type=int, default=250, help="words per text")
    args = parser.parse_args()

    project = Project(RunOptions().context())
    con: duckdb.DuckDBPyConnection = connect()
    project.install_macros(con)
    # base texts, then planted copies with 0-8 % of their words replaced (similarities
    # spread from 1.0 down to about 0.6), all in SQL
    con.execute(
        """
        CREATE TABLE base AS
        SELECT i AS id, list_transform(range(?), lambda k: 'w' || (hash(i, k) % 50000)) AS w
        FROM range(?) t(i)""",
        [args.words, args.texts],
    )
    con.execute(
        """
        CREATE TABLE texts AS
        SELECT id, array_to_string(w, ' ') AS text, NULL::BIGINT AS copy_of FROM base
        UNION ALL
        SELECT ? + p AS id,
            array_to_string(list_transform(w, lambda x, k:
                CASE WHEN hash(p, k, 'edit') % 1000 < (p % 40) * 2
                    THEN 'edit' || hash(p, k) % 1000000 ELSE x END),
                ' ') AS text,
            p % ? AS copy_of
        FROM range(?) t(p) JOIN base ON base.id = p % ?""",
        [args.texts, args.texts, args.planted, args.texts],
    )
    fingerprints = project.env.from_string(
        "{% from 'macros/fingerprints.sql' import fingerprints %}{{ fingerprints('texts', ['id']) }}"
    ).render()
    started = time.perf_counter()
    con.execute(f"CREATE TABLE fp AS {fingerprints}")
    # the gate's own candidate pairs (every text new, in id order)
    con.execute("CREATE TABLE nodes AS SELECT id, {'file': 'bench', 'line': id} AS ord, bands, sig FROM fp")
    pairs = project.env.from_string(
        "{% from 'macros/duplicates.sql' import band_candidates %}{{ band_candidates('nodes') }}").render()
    con.execute(f"CREATE TABLE candidates AS SELECT earlier AS a, later AS b FROM ({pairs})")
    seconds = time.perf_counter() - started
    con.execute("""
        CREATE TABLE planted AS
        SELECT t.copy_of AS a, t.id AS b,
            jaccard(text_shingles(text_words(o.text)), text_shingles(text_words(t.text))) AS similarity
        FROM texts AS t JOIN texts AS o ON o.id = t.copy_of
        WHERE t.copy_of IS NOT NULL""")
    con.execute("""
        CREATE TABLE judged AS
        SELECT c.a, c.b,
            jaccard(text_shingles(text_words(x.text)), text_shingles(text_words(y.text))) AS similarity
        FROM candidates AS c JOIN texts AS x ON x.id = c.a JOIN texts AS y ON y.id = c.b""")
    row = con.execute("""
        SELECT
            count(*) FILTER (WHERE similarity >= 0.9),
            count(*) FILTER (WHERE similarity >= 0.9 AND (a, b) IN (SELECT (a, b) FROM candidates)),
            count(*) FILTER (WHERE similarity >= 0.8 AND similarity < 0.9),
            count(*) FILTER (WHERE similarity >= 0.8 AND similarity < 0.9
                AND (a, b) IN (SELECT (a, b) FROM candidates)),
            (SELECT count(*) FROM judged),
            (SELECT count(*) FROM judged WHERE similarity < 0.8)
        FROM planted""").fetchone()
    assert row is not None
    hi, hi_found, mid, mid_found, cands, false_cands = row
    n = args.texts + args.planted
    print(
        f"{n:,} texts of {args.words} words ({args.planted:,} planted near duplicates); "
        f"fingerprints and candidates in {seconds:.2f} s"
    )
    print(f"recall at >= 0.9: {hi_found}/{hi} = {hi_found / max(hi, 1):.2%} (SPEC 12.5: >= 95 %)")
    print(f"recall at 0.8-0.9: {mid_found}/{mid} = {mid_found / max(mid, 1):.2%}")
    print(
        f"candidates: {cands:,}, of which below 0.8: {false_cands:,} "
        f"({false_cands / max(cands, 1):.1%}; each dropped by the exact check) "
        f"out of {n * (n - 1) // 2:,} pairs"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
