"""README.md starts with the two commands a new user runs, CI runs exactly the second, and
every command example, flag list and the model listing in it are the real thing."""

from __future__ import annotations

import argparse
import re
import shlex
import shutil
from pathlib import Path

import pytest

from distill_duck.cli import build_parser, main
from tests.conftest import run_cli

REPO = Path(__file__).resolve().parent.parent


def _first_code_block() -> list[str]:
    text = (REPO / "README.md").read_text("utf-8")
    block = text.split("```sh\n", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line.strip()]


def test_readme_opens_with_install_and_test_commands() -> None:
    install, test = _first_code_block()
    assert "pip install" in install and "distill-duck demo" in install and "export-all" in install
    # the test command names the virtualenv's Python, so it works in a shell where the
    # first line's `activate` did not run
    venv = install.split("python3 -m venv ", 1)[1].split()[0]
    assert test.startswith(f"{venv}/bin/python -m pytest")


def test_ci_runs_the_readme_test_command() -> None:
    ci_lines = [line.strip() for line in (REPO / ".ci" / "run").read_text().splitlines()]
    test = _first_code_block()[1]
    # CI's own virtualenv stands in for the README's .venv
    assert test.replace(".venv/", ".ci-venv/", 1) in ci_lines
    # CI installs from pyproject.toml into a fresh virtualenv before testing
    assert any("venv" in line for line in ci_lines)
    assert any("pip install" in line and "." in line for line in ci_lines)


# -- the README's examples are real output (in the spirit of sqlite-utils' docs tests) ---------

# run ids hold the time of the run; everything else in the shown output is deterministic
RUN_ID = re.compile(r"\b\d{8}T\d{6}\.\d{3}Z-[0-9a-f]{6}\b")


def _code_blocks() -> list[list[str]]:
    text = (REPO / "README.md").read_text("utf-8")
    return [block.split("\n", 1)[1].splitlines() for block in text.split("```")[1::2]]


def shown_sessions() -> list[tuple[str, list[str]]]:
    """Every `$ distill-duck ...` line in the README's code blocks with the output shown
    under it (up to the next `$` line or the end of the block), in README order."""
    sessions: list[tuple[str, list[str]]] = []
    for block in _code_blocks():
        output: list[str] | None = None  # lines before a block's first `$` are not output
        for line in block:
            if line.startswith("$ "):
                output = []
                sessions.append((line[2:], output))
            elif output is not None:
                output.append(line)
    for _, output in sessions:
        while output and not output[-1].strip():
            output.pop()
    return sessions


def _normalise(lines: list[str]) -> list[str]:
    return [RUN_ID.sub("<run_id>", line.rstrip()) for line in lines]


@pytest.mark.slow
def test_every_shown_command_prints_what_the_readme_shows(tmp_path: Path) -> None:
    """Runs each `$ distill-duck ...` example in order, on the demo lakehouse the README's
    first line creates, and compares its output line by line with the README's."""
    sessions = shown_sessions()
    assert len(sessions) >= 7, "the README's examples were not found"
    # the lakehouses the examples name: the demo, and (safety gates) a conformance case
    run_cli("demo", str(tmp_path / "demo-lake"))
    shutil.copytree(REPO / "tests/conformance/safety-secrets/input", tmp_path / "lake")
    for command, shown in sessions:
        argv = shlex.split(command)
        assert argv[0] == "distill-duck", command
        p = run_cli(*argv[1:], cwd=tmp_path, check=False)
        assert p.returncode == 0, f"{command}: {p.stderr}"
        got = _normalise(p.stdout.rstrip("\n").split("\n"))
        want = _normalise(shown)
        if want and want[-1] == "...":  # the README shows the first lines only
            want, got = want[:-1], got[:len(want) - 1]
        assert got == want, (
            f"README.md shows other output for `{command}`; paste the real output:\n" + "\n".join(got)
        )


def _commands_block() -> list[str]:
    return next(b for b in _code_blocks() if b and b[0].startswith("distill-duck export-rag "))


def test_the_commands_block_lists_every_command_and_flag() -> None:
    """The README's `## Commands` block names each command with exactly the flags its
    parser has (argparse's own listing is the truth). A `[group]` in a command stands for
    the flags of the block's `group:` line."""
    listed: dict[str, set[str]] = {}
    groups: dict[str, set[str]] = {}
    uses: dict[str, set[str]] = {}
    current: list[str] = []
    for line in _commands_block():
        if not line.strip():
            continue
        if line.startswith("distill-duck "):
            # `export-rag|export-sft|...` lists several commands with one set of flags
            current = line.removeprefix("distill-duck ").split()[0].split("|")
            for name in current:
                listed.setdefault(name, set())
        elif not line.startswith(" ") and ":" in line:
            group, line = line.split(":", 1)
            groups[group] = set()
            current = [f"[{group}]"]
        for name in current:
            found = set(re.findall(r"--[a-z][a-z-]*", line))
            if name.startswith("["):
                groups[name[1:-1]] |= found
            else:
                listed[name] |= found
                uses.setdefault(name, set()).update(re.findall(r"\[([a-z][a-z ]*)\]", line))
    for name, used in uses.items():
        for group in used:
            assert group in groups, f"README's Commands block: no `{group}:` line for {name}"
            listed[name] |= groups[group]
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    actual = {
        name: {o for a in p._actions for o in a.option_strings if o.startswith("--") and o != "--help"}
        for name, p in sub.choices.items()
    }
    assert set(listed) == set(actual), "commands missing from or unknown to the README's Commands block"
    for name in actual:
        assert listed[name] == actual[name], f"README's Commands block: flags of {name}"


def test_the_model_listing_is_the_real_one(capsys: pytest.CaptureFixture[str]) -> None:
    """The quick check of the `models` example (the slow test above runs every example)."""
    command, shown = next(s for s in shown_sessions() if s[0] == "distill-duck models")
    assert main(["models"]) == 0
    assert capsys.readouterr().out.rstrip("\n").split("\n") == shown
