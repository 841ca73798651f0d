"""Text the databases can store and clients can read back: the one rule for every text input.

Two kinds of character break a round trip, whatever the field:

* NUL (U+0000): PostgreSQL refuses it in `text` and `jsonb` ("cannot contain NUL (0x00)
  characters"), so the write fails; SQLite stores it and C clients then cut the string short.
* A lone surrogate (U+D800-U+DFFF outside a pair): it has no UTF-8 form (RFC 3629 §3), so
  the first answer that must encode it fails. JSON can carry one as a `\\ud800` escape
  (RFC 8259 §8.2 calls such text unpredictable), and Python's parser returns it as is.

Everything else Unicode allows is kept: refusing more would refuse real names.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

__all__ = ["MAX_EXACT_INTEGER", "FieldPath", "first_unstorable", "unstorable_reason"]

# Integers beyond this are not exact in most JSON parsers (IEEE 754 doubles, RFC 8259 §6): a
# client in JavaScript would read back another number than it sent. Where a free-form value
# may be a number (a contact's tag), larger ones must come as strings.
MAX_EXACT_INTEGER = 2**53 - 1

FieldPath = tuple[str | int, ...]

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def unstorable_reason(text: str) -> str | None:
    """Why `text` cannot be stored and read back, or None when it can."""
    found = _UNSTORABLE.search(text)
    if found is None:
        return None
    char = found.group()
    if char == "\x00":
        return "holds a NUL character (U+0000), which cannot be stored"
    return f"holds a lone surrogate (U+{ord(char):04X}), which is not valid Unicode text"


def first_unstorable(value: Any, path: FieldPath = ()) -> tuple[FieldPath, str] | None:
    """The path and reason of the first string (object key or value) in a decoded JSON value
    that cannot be stored, or None. Iterative: the depth of `value` costs no recursion."""
    for where, text in _strings(value, path):
        reason = unstorable_reason(text)
        if reason is not None:
            return where, reason
    return None


def _strings(value: Any, path: FieldPath) -> Iterator[tuple[FieldPath, str]]:
    stack: list[tuple[FieldPath, Any]] = [(path, value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, str):
            yield where, item
        elif isinstance(item, dict):
            # Pushed in reverse so the first bad field in document order is the one reported.
            for key, child in reversed(item.items()):
                yield (*where, key), key
                stack.append(((*where, key), child))
        elif isinstance(item, list):
            stack.extend(((*where, index), child) for index, child in reversed(list(enumerate(item))))
