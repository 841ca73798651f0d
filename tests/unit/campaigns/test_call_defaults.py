"""Call defaults are written once (`campaigns.defaults`): campaigns, scenarios and docs agree."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from aicall.campaigns import defaults
from aicall.campaigns.settings import DAY_NAMES, RETRYABLE, CampaignSettings, effective

ROOT = Path(__file__).resolve().parents[3]


def _table(markdown: str) -> dict[str, str]:
    """First cell -> second cell of every Markdown table row, backticks kept."""
    rows = {}
    for line in markdown.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        if line.startswith("|") and len(cells) >= 2 and not set(cells[0]) <= {"-"}:
            rows[cells[0]] = cells[1]
    return rows


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _written(value: Any) -> str:
    """A default as the docs write it: `text`, true/false, 10, 5, 30."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return f"`{value}`"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _retry_written(settings: CampaignSettings) -> str:
    groups: dict[str, list[str]] = {}
    for outcome in RETRYABLE:
        rule = settings.retry.get(outcome.value)
        if rule is None or rule.max_attempts == 0:
            groups.setdefault("none", []).append(outcome.value)
        else:
            groups.setdefault(
                f"{rule.max_attempts} \N{MULTIPLICATION SIGN} {rule.interval // 60} min", []
            ).append(outcome.value)
    return "; ".join(f"{', '.join(outcomes)}: {rule}" for rule, outcomes in groups.items())


def test_a_campaign_on_a_default_scenario_dials_as_one_without_a_scenario() -> None:
    # Busy was re-called after 600 s without a scenario and after 30 min with a default one.
    assert effective(None, defaults.scenario_call_config()) == CampaignSettings()


def test_every_re_called_outcome_waits_the_scenario_default_delay() -> None:
    retry = CampaignSettings().retry

    assert {outcome: (rule.max_attempts, rule.interval) for outcome, rule in retry.items()} == {
        "busy": (2, 1800),
        "failed": (2, 1800),
        "no_answer": (2, 1800),
        "voicemail": (0, 1800),
    }


def test_a_new_scenarios_call_config_is_a_copy_its_caller_may_change() -> None:
    config = defaults.scenario_call_config()
    config["re_call"]["times"] = 9

    assert defaults.scenario_call_config()["re_call"]["times"] == defaults.RE_CALL_TIMES


def test_the_campaign_settings_table_quotes_the_defaults() -> None:
    table = _table((ROOT / "docs" / "campaigns.md").read_text(encoding="utf-8"))
    settings = CampaignSettings()
    expected = {
        "days": "all" if settings.days == DAY_NAMES else ", ".join(settings.days),
        "hours": json.dumps(
            [{"start": h.start.strftime("%H:%M"), "end": h.end.strftime("%H:%M") if h.end else "24:00"}
             for h in settings.hours]
        ),
        "ring_timeout": f"{_written(settings.ring_timeout)} s",
        "max_duration": f"{_written(settings.max_duration)} s",
        "quiet_period": f"{settings.quiet_period} s",
        "advertising_start": settings.advertising_start.strftime("%H:%M"),
        "advertising_end": settings.advertising_end.strftime("%H:%M"),
        "advertising_interval": f"{settings.advertising_interval} s",
        "exclude_holidays": "none",
        "excluded_dates": "none",
        "voicemail_message_action_id": "none",
        "retry": _retry_written(settings),
    }  # fmt: skip
    for name, value in settings.model_dump().items():
        if name in ("start_date", "end_date"):
            continue
        doc = table[f"`{_camel(name)}`"].split(" (")[0]
        want = expected.get(name, _written(value))
        if name == "hours":
            doc = doc.strip("`")
        assert doc == want, f"docs/campaigns.md `{_camel(name)}`: {doc!r}, the code says {want!r}"


def test_the_scenario_defaults_table_and_example_quote_the_defaults() -> None:
    text = (ROOT / "docs" / "scenarios.md").read_text(encoding="utf-8")
    table = _table(text)
    config = defaults.scenario_call_config()
    re_call = config.pop("re_call")
    for name, value in config.items():
        doc = table[f"`callConfig.{_camel(name)}`"].split(" (")[0].strip("`")
        assert doc == _written(value).strip("`"), f"docs/scenarios.md callConfig.{_camel(name)}: {doc!r}"
    assert table["`callConfig.reCall.times`"] == str(re_call["times"])
    assert table["`callConfig.reCall.delay`"] == str(re_call["delay"])
    flags = " / ".join(
        _written(re_call[key]) for key in ("is_busy", "is_failed", "is_no_answer", "is_voice_mail")
    )
    assert table["`callConfig.reCall.isBusy / isFailed / isNoAnswer / isVoiceMail`"] == flags

    match = re.search(r'"call_config": (\{.*?\}\})', text, re.DOTALL)
    assert match is not None
    assert json.loads(match[1]) == defaults.scenario_call_config()


def test_the_readme_quotes_the_default_re_calls() -> None:
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())

    assert (
        f"{defaults.RE_CALL_TIMES} re-calls {defaults.RE_CALL_DELAY_MINUTES} min apart for busy, "
        "failed and no answer, none for voicemail"
    ) in readme
    assert defaults.RE_CALL["is_busy"] and defaults.RE_CALL["is_failed"] and defaults.RE_CALL["is_no_answer"]
    assert not defaults.RE_CALL["is_voice_mail"]
