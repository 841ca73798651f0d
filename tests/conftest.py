"""Fixtures shared by every test folder."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable

import pytest


def _require_tool(name: str) -> str:
    """Path of an external tool; skip without it, but fail in CI (AICALL_REQUIRE_TOOLS=1)."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed"
        if os.environ.get("AICALL_REQUIRE_TOOLS") == "1":
            pytest.fail(message + " (AICALL_REQUIRE_TOOLS=1: CI must install it)")
        pytest.skip(message)
    return path


@pytest.fixture
def require_tool() -> Callable[[str], str]:
    return _require_tool
