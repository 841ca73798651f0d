"""Query parameters read as the OpenAPI document types them.

A query value is text; pydantic's lax int takes `"0.0"` as 0, so `?offset=0.0` passed for an
integer the document says it is not (found by Schemathesis). A whole number is digits, with a
sign at most.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BeforeValidator

__all__ = ["WHOLE_NUMBER"]

_WHOLE = re.compile(r"[+-]?[0-9]+")


def _whole(value: Any) -> Any:
    if isinstance(value, str) and not _WHOLE.fullmatch(value.strip()):
        raise ValueError(f"{value!r} is not a whole number")
    return value


# After the Query(...) that constrains it: `Annotated[int, Query(ge=0), WHOLE_NUMBER]` (placed
# before, FastAPI would write the bounds into the document as unknown keywords and skip them).
WHOLE_NUMBER = BeforeValidator(_whole)
