"""Rules files: which virtual phone answers which number.

A rules file (TOML or JSON) holds a list of rules; the first rule whose pattern matches the
dialled number wins, and numbers no rule matches fall back to the last-digit default
(`behaviour.default_behaviour`). See docs/simulator.md for the format.
"""

from __future__ import annotations

import json
import math
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aicall.calls.outcomes import CallOutcome
from aicall.telephony.sim.behaviour import DEFAULT_KEY_DELAY, PhoneBehaviour, default_behaviour
from aicall.telephony.sim.callee import Answerer

__all__ = ["SimRule", "SimRules", "SimRulesError"]

_MATCHERS = ("number", "prefix", "suffix")
_KEYPAD = set("0123456789*#")
_BEHAVIOUR_FIELDS = {
    "outcome",
    "ring",
    "keys",
    "say",
    "key_delay",
    "hangup_after",
    "hangup_in_prompt",
    "accept_transfer",
    "sip_code",
    "reason",
    "answer",
    "greeting",
    "greeting_seconds",
    "greeting_delay",
    "beep",
}


class SimRulesError(ValueError):
    """A rules file that cannot be understood; the message names the rule and the field."""


@dataclass(frozen=True, slots=True)
class SimRule:
    match: str  # "number" (exact E.164), "prefix" or "suffix" (e.g. the last digit)
    pattern: str
    behaviour: PhoneBehaviour

    def matches(self, number: str) -> bool:
        match self.match:
            case "number":
                return number == self.pattern
            case "prefix":
                return number.startswith(self.pattern)
            case _:
                return number.endswith(self.pattern)


class SimRules:
    """An ordered list of rules; the first match wins, else the last-digit default."""

    def __init__(self, rules: Iterable[SimRule] = ()) -> None:
        self.rules: tuple[SimRule, ...] = tuple(rules)

    def behaviour_for(self, number: str) -> PhoneBehaviour:
        for rule in self.rules:
            if rule.matches(number):
                return rule.behaviour
        return default_behaviour(number)

    @classmethod
    def load(cls, path: str | Path) -> SimRules:
        """Read a `.toml` or `.json` rules file."""
        path = Path(path)
        match path.suffix.lower():
            case ".toml":
                with path.open("rb") as file:
                    data = tomllib.load(file)
            case ".json":
                data = json.loads(path.read_text(encoding="utf-8"))
            case _:
                raise SimRulesError(f"{path}: a rules file ends in .toml or .json")
        try:
            return cls.from_dict(data)
        except SimRulesError as error:
            raise SimRulesError(f"{path}: {error}") from None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SimRules:
        """Build from parsed file content: `{"rules": [{"suffix": "1", "keys": ["1"]}, ...]}`."""
        unknown = set(data) - {"rules"}
        if unknown:
            raise SimRulesError(f"unknown top-level keys: {', '.join(sorted(unknown))}")
        entries = data.get("rules", [])
        if not isinstance(entries, list):
            raise SimRulesError("'rules' must be a list of tables")
        return cls(_parse_rule(index, entry) for index, entry in enumerate(entries, start=1))


def _parse_rule(index: int, entry: object) -> SimRule:
    where = f"rule {index}"
    if not isinstance(entry, Mapping):
        raise SimRulesError(f"{where}: must be a table")
    unknown = set(entry) - set(_MATCHERS) - _BEHAVIOUR_FIELDS
    if unknown:
        raise SimRulesError(f"{where}: unknown keys: {', '.join(sorted(unknown))}")
    matchers = [name for name in _MATCHERS if name in entry]
    if len(matchers) != 1:
        raise SimRulesError(f"{where}: give exactly one of number, prefix, suffix")
    match = matchers[0]
    pattern = entry[match]
    if not isinstance(pattern, str):
        raise SimRulesError(f"{where}: {match} must be a string")
    return SimRule(match=match, pattern=pattern, behaviour=_parse_behaviour(where, entry))


def _parse_behaviour(where: str, entry: Mapping[str, Any]) -> PhoneBehaviour:
    outcome_name = entry.get("outcome", CallOutcome.ANSWERED.value)
    try:
        outcome = CallOutcome(outcome_name)
    except ValueError:
        choices = ", ".join(outcome.value for outcome in CallOutcome)
        raise SimRulesError(f"{where}: outcome {outcome_name!r} is not one of {choices}") from None
    answer = _answer(where, entry, outcome)
    greeting = _text(where, entry, "greeting")
    if greeting is not None and not greeting.split():
        raise SimRulesError(f"{where}: greeting must have words (or use greeting_seconds)")
    if greeting is not None and "greeting_seconds" in entry:
        raise SimRulesError(f"{where}: give greeting or greeting_seconds, not both")
    return PhoneBehaviour(
        outcome=outcome,
        answer=answer,
        greeting=greeting,
        greeting_seconds=_seconds(where, entry, "greeting_seconds"),
        greeting_delay=_seconds(where, entry, "greeting_delay"),
        beep=_optional_flag(where, entry, "beep"),
        ring=_seconds(where, entry, "ring"),
        keys=_keys(where, entry.get("keys", [])),
        say=_say(where, entry.get("say", [])),
        key_delay=_seconds(where, entry, "key_delay", default=DEFAULT_KEY_DELAY) or 0.0,
        hangup_after=_seconds(where, entry, "hangup_after"),
        hangup_in_prompt=_count(where, entry, "hangup_in_prompt"),
        accept_transfer=_flag(where, entry, "accept_transfer", default=True),
        sip_code=_count(where, entry, "sip_code"),
        reason=_text(where, entry, "reason"),
    )


def _seconds(where: str, entry: Mapping[str, Any], name: str, default: float | None = None) -> float | None:
    value = entry.get(name, default)
    if value is None:
        return None
    # bool is an int: reject it explicitly, `ring = true` is a typo, not one second.
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0 or math.isnan(value):
        raise SimRulesError(f"{where}: {name} must be a number of seconds >= 0")
    return float(value)


def _count(where: str, entry: Mapping[str, Any], name: str) -> int | None:
    value = entry.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise SimRulesError(f"{where}: {name} must be a whole number >= 1")
    return value


def _flag(where: str, entry: Mapping[str, Any], name: str, *, default: bool) -> bool:
    value = entry.get(name, default)
    if not isinstance(value, bool):
        raise SimRulesError(f"{where}: {name} must be true or false")
    return value


def _optional_flag(where: str, entry: Mapping[str, Any], name: str) -> bool | None:
    return _flag(where, entry, name, default=False) if name in entry else None


def _answer(where: str, entry: Mapping[str, Any], outcome: CallOutcome) -> Answerer:
    """Who picks up: `answer = "person" | "voicemail" | "announcement"` (answered calls only)."""
    name = entry.get("answer", Answerer.PERSON.value)
    try:
        answer = Answerer(name)
    except ValueError:
        choices = ", ".join(answerer.value for answerer in Answerer)
        raise SimRulesError(f"{where}: answer {name!r} is not one of {choices}") from None
    voiced = {"answer", "greeting", "greeting_seconds", "greeting_delay", "beep"} & set(entry)
    if voiced and outcome is not CallOutcome.ANSWERED:
        raise SimRulesError(f"{where}: {', '.join(sorted(voiced))} only apply to answered calls")
    if answer is not Answerer.PERSON and (entry.get("keys") or entry.get("say")):
        raise SimRulesError(f"{where}: a {answer.value} presses no keys and says nothing (keys, say)")
    return answer


def _text(where: str, entry: Mapping[str, Any], name: str) -> str | None:
    value = entry.get(name)
    if value is not None and not isinstance(value, str):
        raise SimRulesError(f"{where}: {name} must be a string")
    return value


def _keys(where: str, value: object) -> tuple[str, ...]:
    if not isinstance(value, Sequence) or isinstance(value, str):
        raise SimRulesError(f'{where}: keys must be a list of strings, e.g. ["", "2"]')
    for keys in value:
        if not isinstance(keys, str) or not set(keys) <= _KEYPAD:
            raise SimRulesError(f"{where}: keys entry {keys!r} is not made of keypad keys 0-9 * #")
    return tuple(value)


def _say(where: str, value: object) -> tuple[str, ...]:
    """`say = "vâng"` (the first listening menu) or `say = ["", "không"]` (one per visit)."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(words, str) for words in value):
        raise SimRulesError(f'{where}: say must be a string or a list of strings, e.g. ["", "vâng"]')
    return tuple(" ".join(words.split()) for words in value)
