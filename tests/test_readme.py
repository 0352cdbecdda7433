"""README.md starts with the two commands a new user runs; CI runs exactly the second."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _first_code_block() -> list[str]:
    text = (REPO / "README.md").read_text("utf-8")
    block = text.split("```sh\n", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line.strip()]


def test_readme_opens_with_install_and_test_commands() -> None:
    install, test = _first_code_block()
    assert "pip install" in install and "distill-duck demo" in install and "export-all" in install
    assert test.startswith("python -m pytest")


def test_ci_runs_the_readme_test_command() -> None:
    ci_lines = [line.strip() for line in (REPO / ".ci" / "run").read_text().splitlines()]
    test = _first_code_block()[1]
    assert test in ci_lines
    # CI installs from pyproject.toml into a fresh virtualenv before testing
    assert any("venv" in line for line in ci_lines)
    assert any("pip install" in line and "." in line for line in ci_lines)
