"""A campaign's `retry` for one outcome changes that outcome only (issue 12)."""

from __future__ import annotations

import pytest

from aicall.campaigns import defaults
from aicall.campaigns.settings import effective


def _rules(
    overrides: dict[str, object], call_config: dict[str, object] | None = None
) -> dict[str, tuple[int, int]]:
    settings = effective(overrides, call_config)
    return {outcome: (rule.max_attempts, rule.interval) for outcome, rule in settings.retry.items()}


def test_a_campaigns_retry_for_busy_keeps_the_scenarios_other_outcomes() -> None:
    rules = _rules({"retry": {"busy": {"max_attempts": 5, "interval": 600}}}, defaults.scenario_call_config())

    assert rules == {"busy": (5, 600), "failed": (2, 1800), "no_answer": (2, 1800), "voicemail": (0, 1800)}


def test_a_campaigns_retry_keeps_the_defaults_when_it_has_no_scenario() -> None:
    rules = _rules({"retry": {"no_answer": {"maxAttempts": 0}}})

    assert rules == {"busy": (2, 1800), "failed": (2, 1800), "no_answer": (0, 1800), "voicemail": (0, 1800)}


def test_one_field_of_an_outcomes_rule_keeps_the_scenarios_other_field() -> None:
    scenario = defaults.scenario_call_config() | {
        "re_call": {"times": 3, "delay": 10, "is_busy": True, "is_failed": False, "is_no_answer": True}
    }

    rules = _rules({"retry": {"busy": {"maxAttempts": 1}, "rejected": {"max_attempts": 1}}}, scenario)

    assert rules["busy"] == (1, 600)  # the scenario's 10-minute delay stays
    assert rules["no_answer"] == (3, 600)
    assert rules["failed"] == (0, 600)
    assert rules["rejected"] == (1, 1800)  # no scenario rule: the rule's own default interval


def test_an_empty_retry_changes_nothing() -> None:
    assert _rules({"retry": {}}, defaults.scenario_call_config()) == _rules(
        {}, defaults.scenario_call_config()
    )


@pytest.mark.parametrize(
    "retry", [{"busy": 5}, {"busy": {"max_attempts": "x"}}, {"answered": {"max_attempts": 1}}, []]
)
def test_a_bad_retry_is_still_refused(retry: object) -> None:
    with pytest.raises(ValueError, match="retry"):
        effective({"retry": retry}, defaults.scenario_call_config())
