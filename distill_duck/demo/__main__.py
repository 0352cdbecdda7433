"""`python -m distill_duck.demo ROOT`: write a sample lakehouse and print its counts."""

from __future__ import annotations

import argparse
import json
import pathlib

from distill_duck.demo.write import write_demo


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m distill_duck.demo", description="Write a sample lakehouse."
    )
    parser.add_argument("root", type=pathlib.Path)
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    args.root.mkdir(parents=True, exist_ok=True)
    print(json.dumps(write_demo(args.root, args.runs, args.seed), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
