"""The services' reasons in the interface's language.

The services speak English: their messages are the public API's and the CLI's words, part of
the API's contract, and stay as they are. A dashboard page says them in its own language: each
reason is matched by a rule (`rules.rule`: a regular expression over the English text with
named parts, one module per area below) and said by the rule's Vietnamese text, translated
into English by the catalogue like every interface text (`locales/en/reasons.json`). The
first rule that matches the whole reason wins. A reason no rule knows is shown as it came:
an error is never hidden (`translate` says None, the page adds a lead-in of its own).

A rule's named parts fill its text:

* `reason`: a nested reason, said by its own rule (a number's problem inside a pool's error);
  `clause`: the same without its final full stop, for the middle of a sentence;
* `field`: a field path, said by the label its form gives it (`labels.FIELDS`);
* `status`, `kind`, `who`, `why`, `unit`, `action`, `none`: codes said by `labels.GROUPS`;
* `month`: an English month name, said as its number; `digits`: `1,048,576` as `1048576`;
  `choices`: `'a' or 'b'` as `'a', 'b'`;
* anything else (`value`, `n`, ...): a value, shown as the service gave it.

A digit may follow a part's name (`digits2`) where a rule has two of a kind.
`tests/unit/dashboard/test_service_reasons.py` drives the services behind every form with bad
input and fails on a reason shown in English on a Vietnamese page.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from typing import Any

from aicall.dashboard.reasons import (
    accounts,
    campaigns,
    contacts,
    generic,
    labels,
    scenarios,
    speech,
    telephony,
)
from aicall.dashboard.reasons.rules import Rule
from aicall.errors import VALIDATION_FAILED, ApiError

__all__ = ["RULES", "TEXTS", "explain", "field_label", "problems", "translate"]

Translate = Callable[..., str]

RULES: tuple[Rule, ...] = (
    *accounts.RULES,  # its address suffixes before telephony's plain refusal
    *telephony.RULES,
    *campaigns.RULES,
    *scenarios.RULES,
    *speech.RULES,
    *contacts.RULES,
    *generic.RULES,
)
# Every Vietnamese text a reason can be said with (the catalogue must translate them all).
TEXTS: frozenset[str] = frozenset(
    [r.text for r in RULES]
    + list(labels.FIELDS.values())
    + [text for table in labels.GROUPS.values() for text in table.values()]
)
_OLD_STYLE = re.compile(rf"^{VALIDATION_FAILED}: (?:(?P<field>[\w.\[\]]+): )?(?P<reason>.*)$", re.DOTALL)
_MONTHS = {name: str(number) for number, name in enumerate(calendar.month_name) if name}


def translate(reason: str, _: Translate) -> str | None:
    """`reason` in the interface's language, or None when no rule knows it."""
    text = reason.strip()
    for known in RULES:
        match = known.pattern.fullmatch(text)
        if match is not None:
            parts = {name: _part(name, value, _) for name, value in match.groupdict(default="").items()}
            return _(known.text, **parts) if parts else _(known.text)
    return None


def explain(reason: str, _: Translate) -> str:
    """`reason` in the interface's language, or as it came when no rule knows it."""
    said = translate(reason, _)
    return reason.strip() if said is None else said


def field_label(path: str, _: Translate) -> str:
    """The label of a field the services name (`settings.pool_hotline_key` -> "Nhóm số gọi ra"),
    or the path itself."""
    label = labels.field_label_text(path)
    return path if label is None else _(label)


def _part(name: str, value: str, _: Translate) -> str:
    kind = name.rstrip("0123456789")
    if kind == "reason":
        return explain(value, _)
    if kind == "clause":
        return explain(value, _).removesuffix(".")
    if kind == "field":
        return field_label(value, _)
    if kind == "month":
        return _MONTHS.get(value, value)
    if kind == "digits":
        return value.replace(",", "")
    if kind == "choices":  # pydantic's "'sync' or 'async'": the quoted values, listed
        return value.replace("' or '", "', '")
    table = labels.GROUPS.get(kind)
    if table is not None and value in table:
        return _(table[value])
    return value


def problems(exc: ApiError) -> list[tuple[str | None, str]]:
    """(field path or None, reason) of each problem an API error reports: its `details`, else
    its `Validation Failed: <field>: <reason>` message, else its message."""
    details: Any = exc.details
    if isinstance(details, list) and details and all(isinstance(d, dict) and "message" in d for d in details):
        return [(str(d.get("field") or "") or None, str(d["message"])) for d in details]
    match = _OLD_STYLE.match(exc.message)
    if match:
        return [(match["field"], match["reason"])]
    return [(None, exc.message)]
