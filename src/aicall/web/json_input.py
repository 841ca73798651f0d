"""A JSON request body read as RFC 8259 has it, each fault told in words a person reads.

One reader for every JSON body (`web/request_gate.py` runs it before routing, `web/deps.py`
hands its value to the routes that read the body themselves), so every endpoint refuses the same
bodies with the same message:

* Not UTF-8 (RFC 8259 §8.1): the byte and where it is. Python's parser guesses UTF-16 and
  UTF-32 from NUL bytes, so such a body passed the text checks below unseen (a `\\u0000` in it
  was stored); a raw NUL byte is never in UTF-8 JSON text, and is refused as a wrong encoding.
* Not JSON: the line and column, and whether the body ends before the JSON does (a body cut
  short). FastAPI named only the character offset (`details: [{"field": "[27]"}]`).
* Nested deeper than `MAX_JSON_DEPTH`: Python's parser recurses, and so do pydantic and the
  encoder; a body of a thousand `[` raised RecursionError (500).
* A key given twice in one object, or under both its spellings (`scenario_id` and `scenarioId`,
  which the inputs take alike): it would be read as one of its values, unsaid which (the query's
  repeated parameters are refused the same way).
* `NaN`, `Infinity`: Python reads them, JSON has no such numbers (RFC 8259 §6).
* An integer of more digits than Python converts: no field takes one.
* Text no database can store (`aicall.storable`): NUL, lone surrogates (only `\\u` escapes can
  carry them into UTF-8 text, so only a body with such an escape is searched).

A fault of the body as a whole is named as the field `""` (`details: [{"field": "", ...}]`),
one inside it by its path (`contacts[3].ho_ten`), as every validation error is.
"""

from __future__ import annotations

import codecs
import json
import re
import sys
from collections.abc import Iterator
from email.message import Message as MimeMessage
from itertools import accumulate
from typing import Any

from aicall.errors import ValidationFailed, field_path
from aicall.storable import FieldPath, first_unstorable

__all__ = ["MAX_JSON_DEPTH", "PARSED_JSON", "not_json", "parse"]

# Where the gate leaves a body's value in the ASGI scope, for the routes that read it themselves.
PARSED_JSON = "aicall.json"
# Our deepest body is three levels (`settings.retry.busy`); customers' extra keys get room.
MAX_JSON_DEPTH = 32

# A JSON string, unrolled so the regex engine takes the common characters in one step.
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}
# NUL and lone surrogates can reach a JSON text only as escapes (RFC 8259 §7: raw control
# characters are invalid, and UTF-8 has no surrogates).
_SUSPECT_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")
# Python's extensions to JSON's numbers, looked for outside strings.
_NOT_A_NUMBER = re.compile(rb"NaN|Infinity")


def parse(body: bytes, *, content_type: str = "") -> Any:
    """The JSON value of a request body (a leading UTF-8 byte order mark is ignored, as
    RFC 8259 §8.1 allows); ValidationFailed saying what is wrong, and where, for anything else."""
    body = body.removeprefix(codecs.BOM_UTF8)
    text = _utf8(body, content_type)
    outside_strings = _JSON_STRING.sub(b"", body)
    if _depth(outside_strings) > MAX_JSON_DEPTH:
        raise ValidationFailed(f"the JSON body is nested more than {MAX_JSON_DEPTH} levels deep")
    repeated: list[str] = []
    try:
        value = json.loads(text, parse_constant=_Marker, object_pairs_hook=_object(repeated))
    except json.JSONDecodeError as exc:
        raise not_json(exc) from None
    except ValueError:  # an integer of more digits than Python converts (4,300 by default)
        value = json.loads(text, parse_constant=_Marker, parse_int=_integer)
        repeated.append("")  # look for it
    if repeated or _NOT_A_NUMBER.search(outside_strings):
        _check_markers(value)
    found = first_unstorable(value) if _SUSPECT_ESCAPE.search(body) else None
    if found is not None:
        where, reason = found
        raise _refused(where, reason)
    return value


def not_json(exc: json.JSONDecodeError) -> ValidationFailed:
    """The error for a body the JSON parser stopped in: where, why, and whether it was cut short."""
    if not exc.doc.strip():
        return ValidationFailed.sentence("", "is empty")
    # The parser's messages end in " at" where it prints the position after them.
    reason = f"is not valid JSON at line {exc.lineno} column {exc.colno}: {exc.msg.removesuffix(' at')}"
    if exc.pos >= len(exc.doc.rstrip()) or exc.msg.startswith("Unterminated string"):
        reason += " (the body ends before the JSON does: was it cut short?)"
    return ValidationFailed.sentence("", reason)


def _utf8(body: bytes, content_type: str) -> str:
    nul = body.find(b"\x00")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = exc.start if nul < 0 else min(exc.start, nul)
    else:
        if nul < 0:
            return text
        bad = nul
    line = body.count(b"\n", 0, bad) + 1
    column = len(body[body.rfind(b"\n", 0, bad) + 1 : bad].decode("utf-8", "replace")) + 1
    where = f"byte 0x{body[bad]:02X} at line {line} column {column}"
    if body.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        reason = "must be UTF-8: it starts with the byte order mark of UTF-16 or UTF-32"
    elif body[bad] == 0:
        reason = f"must be UTF-8: {where} is a NUL byte, as in UTF-16 or UTF-32 text"
    else:
        reason = f"must be UTF-8: {where} is not UTF-8"
    charset = _charset(content_type)
    if charset and charset.replace("-", "").replace("_", "") != "utf8":
        reason += f" (the Content-Type says charset={charset}; JSON is UTF-8, RFC 8259 §8.1)"
    raise ValidationFailed.sentence("", reason)


def _charset(content_type: str) -> str:
    if not content_type:
        return ""
    mime = MimeMessage()
    mime["content-type"] = content_type
    return str(mime.get_param("charset") or "").lower()


class _Marker:
    """A value the parser met that no field takes (`NaN`, an integer too long to convert),
    kept in place so its field can be named."""

    def __init__(self, text: str, reason: str = "") -> None:
        self.text = text
        self.reason = reason or f"is {text}, not a JSON number (RFC 8259 §6)"


class _Repeated(dict[str, Any]):
    """An object that named `key` more than once (`reason` says how)."""

    key = ""
    reason = "is given more than once in one object: send it once"


def _object(repeated: list[str]) -> Any:
    def build(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        value = dict(pairs)
        if len(value) == len(pairs):
            # Keys are snake_case or lower case but for the camelCase spelling the API also
            # takes (`scenarioId` for `scenario_id`): only then can a field be named twice.
            if all(key.islower() for key in value):
                return value
            twin = _camel_twin(value)
            if twin is None:
                return value
            flagged = _Repeated(value)
            flagged.key, flagged.reason = twin[1], f"and {twin[0]!r} name the same field: send one of them"
            repeated.append(flagged.key)
            return flagged
        flagged = _Repeated(value)
        seen: set[str] = set()
        for key, _item in pairs:
            if key in seen:
                flagged.key = key
                break
            seen.add(key)
        repeated.append(flagged.key)
        return flagged

    return build


def _camel_twin(value: dict[str, Any]) -> tuple[str, str] | None:
    """(snake_case key, its camelCase spelling) when an object holds both: the API's inputs take
    either (pydantic's `to_camel` alias with `populate_by_name`), and one would silently win."""
    for key in value:
        if "_" in key:
            head, *rest = key.split("_")
            camel = head + "".join(part[:1].upper() + part[1:] for part in rest)
            if camel != key and camel in value:
                return key, camel
    return None


def _integer(text: str) -> Any:
    limit = sys.get_int_max_str_digits()
    digits = len(text.lstrip("-"))
    if limit and digits > limit:
        return _Marker(text, f"is a number of {digits:,} digits, longer than any field takes")
    return int(text)


def _check_markers(value: Any) -> None:
    for where, item in _nodes(value):
        if isinstance(item, _Marker):
            raise _refused(where, item.reason)
        if isinstance(item, _Repeated):
            raise _refused((*where, item.key), item.reason)


def _nodes(value: Any) -> Iterator[tuple[FieldPath, Any]]:
    """Every value in a decoded JSON value with its path, in document order."""
    stack: list[tuple[FieldPath, Any]] = [((), value)]
    while stack:
        where, item = stack.pop()
        yield where, item
        if isinstance(item, dict):
            stack.extend(((*where, key), child) for key, child in reversed(item.items()))
        elif isinstance(item, list):
            stack.extend(((*where, index), child) for index, child in reversed(list(enumerate(item))))


def _refused(where: FieldPath, reason: str) -> ValidationFailed:
    if not where:
        return ValidationFailed.sentence("", reason)
    # A key that is itself the bad text is shown escaped, never echoed raw.
    safe = [
        part.encode("unicode_escape").decode("ascii") if isinstance(part, str) else part for part in where
    ]
    return ValidationFailed(reason, field=field_path(safe))


def _depth(outside_strings: bytes) -> int:
    """How deep the arrays and objects of a JSON text (its strings removed) nest, counted
    without parsing it."""
    brackets = outside_strings.translate(None, _NOT_BRACKETS)
    if len(brackets) <= MAX_JSON_DEPTH:
        return len(brackets)  # cannot nest deeper than it has brackets
    return max(accumulate(_STEP[b] for b in brackets))
