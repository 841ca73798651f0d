"""Prompt templates: fixed text with `{{placeholders}}` filled in from a contact's tag values.

A placeholder names a personalised field by its key form (`{{ho_ten}}`) or its display name
(`{{Họ tên}}`); spaces just inside the braces are ignored (`{{ so_tien }}`). Values are looked
up the same way. Filling in is a single pass: a value that itself contains `{{...}}` is read
as text, never expanded again.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from aicall.interpreter.script import FieldSpec
from aicall.speech.dialect import Dialect
from aicall.speech.errors import ReadingError, TemplateError
from aicall.speech.keys import key_form
from aicall.speech.reading import read

__all__ = [
    "FixedText",
    "Placeholder",
    "Segment",
    "SpokenPart",
    "check_values",
    "fill_segments",
    "find_field",
    "placeholder_fields",
    "placeholders",
    "read_field",
    "read_placeholder",
    "render_text",
    "split_template",
    "unknown_placeholders",
    "validate_value",
    "values_by_key",
]

_PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")


@dataclass(frozen=True, slots=True)
class FixedText:
    """Words of the template itself: the same on every call, so synthesised once."""

    text: str


@dataclass(frozen=True, slots=True)
class Placeholder:
    name: str  # as written between the braces, trimmed


Segment = FixedText | Placeholder


@dataclass(frozen=True, slots=True)
class SpokenPart:
    """A piece of a filled-in prompt; `personal` parts differ from one contact to the next."""

    text: str
    personal: bool


def split_template(template: str) -> list[Segment]:
    """Fixed text and placeholders in order; empty fixed parts are left out."""
    segments: list[Segment] = []
    position = 0
    for match in _PLACEHOLDER.finditer(template):
        if match.start() > position:
            segments.append(FixedText(template[position : match.start()]))
        segments.append(Placeholder(match[1]))
        position = match.end()
    if position < len(template):
        segments.append(FixedText(template[position:]))
    return segments


def placeholders(template: str) -> list[str]:
    """Names between the braces, in order of appearance, repeats included."""
    return [match[1] for match in _PLACEHOLDER.finditer(template)]


def find_field(name: str, fields: Sequence[FieldSpec]) -> FieldSpec | None:
    """The field a placeholder or value key names: exact key, exact display name, then key form."""
    for field in fields:
        if name in (field.key, field.name):
            return field
    wanted = key_form(name)
    if not wanted:
        return None
    return next((field for field in fields if field.key == wanted or key_form(field.name) == wanted), None)


def placeholder_fields(template: str, fields: Sequence[FieldSpec]) -> list[FieldSpec]:
    """The fields a template reads, each once, in order of appearance."""
    found = [field for name in placeholders(template) if (field := find_field(name, fields)) is not None]
    return list(dict.fromkeys(found))


def unknown_placeholders(template: str, fields: Sequence[FieldSpec]) -> list[str]:
    """Placeholders that name no field, each once, in order of appearance."""
    unknown = [name for name in placeholders(template) if find_field(name, fields) is None]
    return list(dict.fromkeys(unknown))


def fill_segments(
    template: str,
    fields: Sequence[FieldSpec],
    values: Mapping[str, str],
    dialect: str | Dialect = Dialect.NORTH,
) -> list[SpokenPart]:
    """The template as spoken parts: fixed text as is, each placeholder read by its field's type."""
    by_key = values_by_key(values, fields)
    parts: list[SpokenPart] = []
    for segment in split_template(template):
        if isinstance(segment, FixedText):
            parts.append(SpokenPart(segment.text, personal=False))
            continue
        field = find_field(segment.name, fields)
        parts.append(SpokenPart(read_placeholder(segment.name, field, by_key, dialect), personal=True))
    return parts


def read_placeholder(
    name: str,
    field: FieldSpec | None,
    by_key: Mapping[str, str],
    dialect: str | Dialect = Dialect.NORTH,
) -> str:
    """The words for placeholder `name`, whose field is `field` (`find_field`; None: it names
    none), from values by field key (`values_by_key`). `TemplateError` when it names no field
    or the value is missing, `ReadingError` when the value cannot be read by its type."""
    if field is None:
        raise TemplateError(f"placeholder {{{{{name}}}}} names no field", field=name)
    value = by_key.get(field.key)
    if value is None:
        raise TemplateError(f"no value for field {_label(field)}", field=field.name)
    return read_field(field, value, dialect)


def render_text(
    template: str,
    fields: Sequence[FieldSpec],
    values: Mapping[str, str],
    dialect: str | Dialect = Dialect.NORTH,
) -> str:
    """The whole prompt as words: `TemplateError` for a missing value, `ReadingError` for a bad one."""
    return "".join(part.text for part in fill_segments(template, fields, values, dialect)).strip()


def read_field(field: FieldSpec, value: str, dialect: str | Dialect = Dialect.NORTH) -> str:
    """Read one value by its field's type; the error names the field."""
    try:
        return read(field.reading_type, value, dialect=dialect)
    except ReadingError as exc:
        raise ReadingError(f"field {_label(field)}: {exc.message}", value=value, field=field.name) from exc


def validate_value(field: FieldSpec, value: str, dialect: str | Dialect = Dialect.NORTH) -> str | None:
    """None when `value` can be read for `field`, else why not (for rejecting a contact)."""
    try:
        read(field.reading_type, value, dialect=dialect)
    except ReadingError as exc:
        return exc.message
    return None


def check_values(
    fields: Sequence[FieldSpec],
    values: Mapping[str, str],
    dialect: str | Dialect = Dialect.NORTH,
    *,
    require_all: bool = True,
) -> str | None:
    """None when every field's value can be read, else the first reason, naming the field.

    Fits the contacts importer's `check_tags` hook:
    `functools.partial(check_values, script.fields, dialect=script.dialect)`.
    """
    by_key = values_by_key(values, fields)
    for field in fields:
        value = by_key.get(field.key)
        if value is None:
            if require_all:
                return f"no value for field {_label(field)}"
            continue
        reason = validate_value(field, value, dialect)
        if reason is not None:
            return f"field {_label(field)}: {reason}"
    return None


def values_by_key(values: Mapping[str, str], fields: Sequence[FieldSpec]) -> dict[str, str]:
    """A contact's values by field key. Contacts may send a value under the key form or the
    display name (an exact key wins); a field's default stands in for a missing value; keys
    naming no field are left out."""
    by_key: dict[str, str] = {}
    for name, value in values.items():
        field = find_field(name, fields)
        if field is None or value is None:
            continue
        if name == field.key or field.key not in by_key:
            by_key[field.key] = value if isinstance(value, str) else str(value)
    # A field's default stands in for a value the contact does not have.
    for field in fields:
        if field.key not in by_key and field.default is not None:
            by_key[field.key] = field.default
    return by_key


def _label(field: FieldSpec) -> str:
    return f"'{field.name}' ({field.key})" if field.name != field.key else f"'{field.key}'"
