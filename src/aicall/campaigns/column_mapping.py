"""Which column of a contact file holds the phone number and which hold which tags.

The suggestion matches header names the way people write them, with or without diacritics and
in any case, by their key form (`aicall.speech.keys.key_form`, the rule CONTRACT §2 gives tag
keys): `Số điện thoại`, `so_dien_thoai`, `SĐT`, `SDT`, `phone`, `phone_number`, `mobile` name
the phone number; a header naming one of the scenario's personalised fields (`Họ tên`,
`ho_ten`, `HỌ TÊN`) maps to that field's key; any other header becomes a tag under its own
key form, kept with the contact as the API keeps unknown keys. An explicit mapping
(`{"Cột A": "phone_number", "Tên": "ho_ten", "Ghi chú": ""}`) overrides the suggestion column
by column; an empty target leaves the column out.

Errors are ValidationFailed: no phone column, a mapping that names a column the file lacks,
two columns mapped to one key.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aicall.campaigns.contact_import import PHONE_KEY
from aicall.campaigns.spreadsheets import Cell
from aicall.errors import ValidationFailed
from aicall.interpreter.script import FieldSpec
from aicall.speech.keys import key_form
from aicall.speech.template import find_field

__all__ = [
    "IGNORE",
    "PHONE_HEADERS",
    "Column",
    "ColumnMapping",
    "parse_map_option",
    "parse_mapping",
    "resolve",
]

# Key forms of the headers that name the number to call.
PHONE_HEADERS = frozenset(
    {
        "phone_number",
        "phone",
        "phone_no",
        "mobile",
        "mobile_phone",
        "mobile_number",
        "tel",
        "telephone",
        "msisdn",
        "so_dien_thoai",
        "sdt",
        "so_dt",
        "dien_thoai",
        "di_dong",
        "so_di_dong",
    }
)
IGNORE = ""  # the target of a column left out


@dataclass(frozen=True, slots=True)
class Column:
    """A column of the file: its 0-based position, its header, and where its values go
    (`phone_number`, a tag key, or IGNORE)."""

    position: int
    header: str
    target: str


@dataclass(frozen=True, slots=True)
class ColumnMapping:
    columns: tuple[Column, ...]

    @property
    def phone_column(self) -> Column:
        return next(c for c in self.columns if c.target == PHONE_KEY)

    def targets(self) -> list[str]:
        """Each column's target, by position (what a mapping form pre-selects)."""
        return [c.target for c in self.columns]

    def as_dict(self) -> dict[str, str]:
        """Header -> target, in the file's order (what a form pre-fills, what the API echoes)."""
        return {c.header: c.target for c in self.columns if c.header}

    def contact(self, cells: Sequence[Cell]) -> dict[str, Any]:
        """One row as an add-contacts contact object (`{"phone_number": ..., tag: value}`)."""
        return {c.target: cells[c.position] for c in self._used}

    @property
    def _used(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.target)


def resolve(
    header: Sequence[str],
    fields: Sequence[FieldSpec],
    explicit: Mapping[str, str] | None = None,
    *,
    positions: Mapping[int, str] | None = None,
) -> ColumnMapping:
    """The suggested mapping of `header` to the scenario's `fields`, overridden by `explicit`
    (header -> target) and then by `positions` (0-based column -> target: a form names columns
    by position, since two may share a header). Raises ValidationFailed when no column ends up
    holding the number."""
    chosen: dict[int, str] = {}
    for name, target in (explicit or {}).items():
        position = _find_header(header, name)
        chosen[position] = _target(target, fields)
    for position, target in (positions or {}).items():
        if not 0 <= position < len(header):
            raise ValidationFailed(f"the file has no column {position + 1}", field="mapping")
        chosen[position] = _target(target, fields)
    taken: dict[str, int] = {}
    for position, target in chosen.items():
        if target == IGNORE:
            continue
        if target in taken:
            raise ValidationFailed(
                f"sends columns '{header[taken[target]]}' and "
                f"'{header[position]}' to the same key '{target}'",
                field="mapping",
            )
        taken[target] = position
    columns = []
    for position, name in enumerate(header):
        if position in chosen:
            target = chosen[position]
        else:
            # A suggestion never takes a key an explicit choice (or an earlier column) holds.
            target = _suggest(name, fields)
            if target in taken:
                target = IGNORE
            elif target:
                taken[target] = position
        columns.append(Column(position, name, target))
    if PHONE_KEY not in taken:
        names = ", ".join(f"'{h}'" for h in header if h) or "none"
        raise ValidationFailed(
            "no phone number column: name one 'Số điện thoại', 'SĐT' or "
            f"'phone_number', or map one to phone_number (columns: {names})",
            field="mapping",
        )
    return ColumnMapping(tuple(columns))


def _suggest(header: str, fields: Sequence[FieldSpec]) -> str:
    key = key_form(header)
    if not key:
        return IGNORE
    if key in PHONE_HEADERS:
        return PHONE_KEY
    field = find_field(header, fields)
    return field.key if field is not None else key


def _target(target: str, fields: Sequence[FieldSpec]) -> str:
    if not isinstance(target, str):
        raise ValidationFailed("targets must be strings", field="mapping")
    if target.strip() in ("", "-"):
        return IGNORE
    key = key_form(target)
    if not key:
        raise ValidationFailed(f"target '{target}' is not a usable key", field="mapping")
    if key in PHONE_HEADERS:
        return PHONE_KEY
    field = find_field(target, fields)
    return field.key if field is not None else key


def _find_header(header: Sequence[str], name: str) -> int:
    if not isinstance(name, str):
        raise ValidationFailed("keys must be column headers (strings)", field="mapping")
    if name in header:
        return header.index(name)
    wanted = key_form(name)
    for position, candidate in enumerate(header):
        if wanted and key_form(candidate) == wanted:
            return position
    names = ", ".join(f"'{h}'" for h in header if h) or "none"
    raise ValidationFailed(
        f"names column '{name}', which the file does not have (columns: {names})", field="mapping"
    )


def parse_mapping(text: str | None) -> dict[str, str] | None:
    """A mapping sent as JSON text (the upload form's `mapping` field): an object of strings."""
    if text is None or not text.strip():
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationFailed(f"not valid JSON: {exc.msg}", field="mapping") from None
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ValidationFailed(
            'must be a JSON object of column header -> key, e.g. {"SĐT": "phone_number"}',
            field="mapping",
        )
    return value


def parse_map_option(text: str | None) -> dict[str, str] | None:
    """The CLI's `--map "Số điện thoại=phone_number,Họ tên=ho_ten"`: header=key pairs, comma
    separated (`Ghi chú=` leaves a column out)."""
    if text is None or not text.strip():
        return None
    mapping: dict[str, str] = {}
    for pair in text.split(","):
        if not pair.strip():
            continue
        header, sep, target = pair.partition("=")
        if not sep or not header.strip():
            raise ValidationFailed(f"--map entry '{pair.strip()}' must be HEADER=KEY", field="mapping")
        mapping[header.strip()] = target.strip()
    return mapping or None
