"""Request bodies keep JSON's booleans apart from its numbers (aicall.jsontypes)."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

import pytest
from pydantic import ValidationError

from aicall.jsontypes import JsonModel


class Body(JsonModel):
    flag: bool = False
    count: int | None = None
    ratio: float = 1.0
    kind: Literal["a", "b"] | None = None
    name: str = ""
    extra: dict[str, Any] | None = None
    dates: list[date] | None = None
    flags: list[bool] | None = None


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"flag": 0}, "flag"),
        ({"flag": "yes"}, "flag"),
        ({"flag": "true"}, "flag"),
        ({"count": True}, "count"),
        ({"ratio": False}, "ratio"),
        ({"dates": ["2024-02-01", 0]}, "dates"),
        ({"flags": [True, 1]}, "flags"),
    ],
)
def test_a_boolean_is_not_a_number_and_a_number_or_text_is_not_a_boolean(
    given: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        Body.model_validate(given)
    assert caught.value.errors()[0]["loc"] == (field,)


def test_numbers_as_numbers_or_as_text_and_booleans_as_booleans_are_read() -> None:
    body = Body.model_validate({"flag": True, "count": 3.0, "ratio": "1,5".replace(",", "."), "kind": None})
    assert (body.flag, body.count, body.ratio, body.kind) == (True, 3, 1.5, None)
    assert Body.model_validate({"count": "10", "extra": {"x": True}}).count == 10
    assert Body.model_validate({"dates": ["2024-02-01"], "flags": [False]}).dates == [date(2024, 2, 1)]
