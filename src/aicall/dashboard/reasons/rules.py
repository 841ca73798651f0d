"""A rule: one English reason of a service, matched with its named parts, and its Vietnamese text.

`rule(pattern, text)`: `pattern` must match the whole reason (surrounding spaces ignored). A
`'` in it also matches `"`: Python's `repr` quotes a value holding a `'` with `"`, and the
services put values in their reasons with `!r`. `text` is the Vietnamese sentence, its
`{names}` filled from the pattern's groups (see `reasons/__init__.py` for what each group name
means) after the catalogue has turned it into the page's language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Rule", "rule"]


@dataclass(frozen=True, slots=True)
class Rule:
    pattern: re.Pattern[str]
    text: str


def rule(pattern: str, text: str) -> Rule:
    return Rule(re.compile(pattern.replace("'", "['\"]"), re.DOTALL), text)
