"""The code-quality gate under pytest, so CI holds it: ruff (format and lint) and the package rules
of ARCHITECTURE.md (import-linter). mypy is slower and runs in scripts/check only."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent  # the venv's bin/: the ruff and lint-imports pinned in pyproject.toml


def passes(tool: str, *args: str) -> None:
    result = subprocess.run(
        [str(BIN / tool), *args], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    if result.returncode != 0:
        pytest.fail(f"`{tool} {' '.join(args)}` failed:\n{result.stdout}{result.stderr}", pytrace=False)


def test_the_tree_is_formatted_as_ruff_format_writes_it() -> None:
    passes("ruff", "format", "--check", "--output-format=concise", ".")


def test_ruff_finds_no_lint_errors() -> None:
    passes("ruff", "check", "--output-format=concise", ".")


def test_the_package_rules_of_the_architecture_hold() -> None:
    passes("lint-imports")
