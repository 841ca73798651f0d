"""Rules files: format, matching order, the last-digit fallback, and clear errors."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from aicall.calls.outcomes import CallOutcome
from aicall.telephony.sim import PhoneBehaviour, SimRules, SimRulesError, default_behaviour

RULES_TOML = """
# A VIP who confirms the order, then picks the morning slot.
[[rules]]
number = "+84901234567"
ring = 5.5
keys = ["1", "1"]

# Nobody presses anything at first on this switchboard, then 2.
[[rules]]
prefix = "+8428"
keys = ["", "2"]
key_delay = 0.5
hangup_after = 40

[[rules]]
suffix = "00"
outcome = "busy"

[[rules]]
suffix = "99"
outcome = "failed"
sip_code = 502
reason = "Bad Gateway"

[[rules]]
prefix = "+8497"
outcome = "no_answer"
"""


def test_a_toml_rules_file_is_read_in_order(tmp_path: Path) -> None:
    path = tmp_path / "phones.toml"
    path.write_text(RULES_TOML, encoding="utf-8")

    rules = SimRules.load(path)

    assert rules.behaviour_for("+84901234567") == PhoneBehaviour(ring=5.5, keys=("1", "1"))
    assert rules.behaviour_for("+842873001234") == PhoneBehaviour(
        keys=("", "2"), key_delay=0.5, hangup_after=40.0
    )
    assert rules.behaviour_for("+842873001200").keys == ("", "2")  # the prefix rule comes first
    assert rules.behaviour_for("+84905555500").outcome is CallOutcome.BUSY
    assert rules.behaviour_for("+84905555599").sip_answer() == (502, "Bad Gateway")
    assert rules.behaviour_for("+84975555555").ring_for("+84975555555") == math.inf


def test_numbers_no_rule_names_fall_back_to_their_last_digit(tmp_path: Path) -> None:
    path = tmp_path / "phones.toml"
    path.write_text(RULES_TOML, encoding="utf-8")

    rules = SimRules.load(path)

    assert rules.behaviour_for("+84905555553") == default_behaviour("+84905555553")
    assert rules.behaviour_for("+84905555553").outcome is CallOutcome.BUSY


def test_a_json_rules_file_works_the_same(tmp_path: Path) -> None:
    path = tmp_path / "phones.json"
    path.write_text(json.dumps({"rules": [{"suffix": "7", "keys": ["3"], "ring": 1}]}), encoding="utf-8")

    rules = SimRules.load(path)

    assert rules.behaviour_for("+84900000007") == PhoneBehaviour(ring=1.0, keys=("3",))


def test_a_rule_without_keys_answers_and_presses_nothing() -> None:
    rules = SimRules.from_dict({"rules": [{"suffix": "1"}]})

    assert rules.behaviour_for("+84900000001") == PhoneBehaviour()


@pytest.mark.parametrize(
    ("rule", "complaint"),
    [
        ({"keys": ["1"]}, "exactly one of number, prefix, suffix"),
        ({"prefix": "+84", "suffix": "1"}, "exactly one of number, prefix, suffix"),
        ({"suffix": 1}, "suffix must be a string"),
        ({"suffix": "1", "outcome": "maybe"}, "outcome 'maybe' is not one of"),
        ({"suffix": "1", "keys": "1"}, "keys must be a list"),
        ({"suffix": "1", "keys": ["1a"]}, "not made of keypad keys"),
        ({"suffix": "1", "ring": -2}, "ring must be a number of seconds"),
        ({"suffix": "1", "ring": True}, "ring must be a number of seconds"),
        ({"suffix": "1", "hangup_in_prompt": 0}, "hangup_in_prompt must be a whole number"),
        ({"suffix": "1", "accept_transfer": "yes"}, "accept_transfer must be true or false"),
        ({"suffix": "1", "press": ["1"]}, "unknown keys: press"),
    ],
)
def test_a_bad_rule_is_refused_with_its_place_and_field(rule: dict[str, object], complaint: str) -> None:
    with pytest.raises(SimRulesError, match=f"rule 2: .*{complaint}"):
        SimRules.from_dict({"rules": [{"suffix": "9"}, rule]})


def test_unknown_top_level_keys_are_refused() -> None:
    with pytest.raises(SimRulesError, match="unknown top-level keys: rule"):
        SimRules.from_dict({"rule": []})


def test_a_file_error_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "phones.toml"
    path.write_text('[[rules]]\nsuffix = "1"\noutcome = "sleepy"\n', encoding="utf-8")

    with pytest.raises(SimRulesError, match=r"phones\.toml: rule 1: outcome 'sleepy'"):
        SimRules.load(path)


def test_only_toml_and_json_files_are_read(tmp_path: Path) -> None:
    path = tmp_path / "phones.yaml"
    path.write_text("rules: []", encoding="utf-8")

    with pytest.raises(SimRulesError, match=r"\.toml or \.json"):
        SimRules.load(path)
