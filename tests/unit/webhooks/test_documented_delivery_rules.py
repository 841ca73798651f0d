"""docs/webhooks.md's delivery rules are the code's: the answer timeout, the retry delays, the
number of attempts, how long they last and the jitter (issue 12: every default in docs/ is the
code's)."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from aicall.webhooks.dispatcher import Dispatcher
from aicall.webhooks.schedule import DEFAULT_SCHEDULE

RULES = (Path(__file__).resolve().parents[3] / "docs" / "webhooks.md").read_text(encoding="utf-8")
UNITS = {"s": 1, "min": 60, "h": 3600}


def _rule(name: str) -> str:
    match = re.search(rf"^\* \*\*{name}\*\*(.*?)(?=^\* |\Z)", RULES, re.DOTALL | re.MULTILINE)
    assert match, f"docs/webhooks.md has no '{name}' delivery rule"
    return " ".join(match[1].split())


def test_the_documented_answer_timeout_is_the_dispatchers() -> None:
    timeout = inspect.signature(Dispatcher).parameters["timeout"].default
    assert f"within **{timeout:g} seconds**" in _rule("Success")


def test_the_documented_retry_schedule_is_the_default_one() -> None:
    rule = _rule("Retries")
    delays = [int(n) * UNITS[unit] for n, unit in re.findall(r"(\d+) (s|min|h)\b", rule.split("—")[0])]
    assert delays == list(DEFAULT_SCHEDULE.delays)
    hours = sum(DEFAULT_SCHEDULE.delays) / 3600
    assert f"{DEFAULT_SCHEDULE.max_attempts} attempts over about {hours:.1f} hours" in rule
    assert f"±{DEFAULT_SCHEDULE.jitter * 100:.0f} %" in rule
