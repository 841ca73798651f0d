"""Request bodies keep JSON's booleans apart from its numbers, and its text apart from dates.

pydantic's lax mode reads `0` and `"yes"` as booleans and `true` as the number 1, so a request
the OpenAPI document calls invalid (`"register": 0`, `"maxConcurrent": true`) was accepted
with a guess; `"endDate": 0` became 1970-01-01. A model built on `JsonModel` refuses these
with 400 naming the field. Numbers written as text (`"10"`) stay accepted: the dashboard's
forms send them so.
"""

from __future__ import annotations

import types
from datetime import date, datetime, time
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ValidationInfo, field_validator

__all__ = ["JsonModel", "check_json_type"]

_NUMBERS = frozenset({int, float})
_TIMES = frozenset({date, time, datetime})


def check_json_type(annotation: Any, value: Any) -> None:
    """Raise ValueError when `value` is a boolean for a number, or not a boolean for a boolean,
    or not text for a date or time; each item of a list is held to its item type."""
    item = _item(annotation)
    if item is not None and isinstance(value, list):
        for element in value:
            check_json_type(item, element)
        return
    kinds = _kinds(annotation)
    if not kinds:
        return
    if isinstance(value, bool):
        if bool not in kinds and kinds <= _NUMBERS:
            raise ValueError("must be a number, not true or false")
    elif value is not None and kinds == {bool}:
        raise ValueError("must be true or false")
    elif value is not None and not isinstance(value, str | date | time) and kinds <= _TIMES:
        # JSON has no dates: they come as text. A number would be read as seconds since 1970.
        # (Date and time objects are our own code's: defaults, settings read back.)
        raise ValueError("must be a date or time written as text (ISO 8601)")


def _item(annotation: Any) -> Any:
    """The item type of `list[X]` (or `list[X] | None`); None for anything else."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _item(get_args(annotation)[0])
    if origin is Union or origin is types.UnionType:
        items = [_item(arg) for arg in get_args(annotation) if arg is not type(None)]
        return items[0] if len(items) == 1 else None
    if origin in (list, tuple, set, frozenset) and get_args(annotation):
        return get_args(annotation)[0]
    return None


def _kinds(annotation: Any) -> set[type]:
    """The scalar types an annotation admits (None left out); empty for anything else."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _kinds(get_args(annotation)[0])
    if origin is Union or origin is types.UnionType:
        found: set[type] = set()
        for arg in get_args(annotation):
            if arg is type(None):
                continue
            inner = _kinds(arg)
            if not inner:
                return set()  # a union with a non-scalar member: not ours to judge
            found |= inner
        return found
    if origin is Literal:
        return {type(arg) for arg in get_args(annotation)}
    if annotation in (bool, int, float, date, time, datetime):
        return {annotation}
    return set()


class JsonModel(BaseModel):
    """A request body: each field takes the JSON type its schema says (booleans apart)."""

    @field_validator("*", mode="before")
    @classmethod
    def _json_type(cls, value: Any, info: ValidationInfo) -> Any:
        field = cls.model_fields.get(info.field_name or "")
        if field is not None:
            check_json_type(field.annotation, value)
        return value
