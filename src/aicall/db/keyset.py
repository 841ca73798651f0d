"""Keyset paging, newest first, on (created_at, id).

A page ends with a cursor naming its last row; the next page starts strictly after it. Unlike
OFFSET, the thousandth page costs what the first costs, and rows added meanwhile do not shift
what the reader sees. `id` breaks ties between rows created in the same microsecond.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, and_, or_
from sqlalchemy.orm import Session

__all__ = ["Cursor", "Page", "newest_first"]

Row = TypeVar("Row")
_TIME_FORMAT = "%Y%m%d%H%M%S%f"


@dataclass(frozen=True, slots=True)
class Cursor:
    """The last row of a page: `(created_at, id)`; `token()` is what goes in a URL."""

    created_at: datetime
    id: str

    def token(self) -> str:
        return f"{self.created_at.astimezone(UTC).strftime(_TIME_FORMAT)}.{self.id}"

    @classmethod
    def parse(cls, token: str | None) -> Cursor | None:
        """The cursor of a token, or None for a missing or malformed one (the first page)."""
        if not token:
            return None
        moment, _, row_id = token.partition(".")
        if not row_id or not row_id.isalnum() or len(row_id) > 64:
            return None
        try:
            created_at = datetime.strptime(moment, _TIME_FORMAT).replace(tzinfo=UTC)
        except ValueError:
            return None
        return cls(created_at, row_id)


@dataclass(frozen=True, slots=True)
class Page(Generic[Row]):
    """One page of rows, newest first; `next` is None on the last page."""

    rows: Sequence[Row]
    next: Cursor | None


def newest_first(
    session: Session,
    query: Select[*tuple[Any, ...]],
    *,
    created_at: Any,
    id_column: Any,
    before: Cursor | None,
    limit: int,
    cursor_of: Callable[[Any], Cursor],
) -> Page[Any]:
    """Run `query` for the page after `before`, newest first.

    `created_at` and `id_column` are the query's ordering columns; `cursor_of(item)` gives an
    item's cursor (an item is the selected entity, or the row when several things are
    selected). An index on (the query's filter columns, created_at, id) makes each page an
    index range scan."""
    if before is not None:
        query = query.where(
            or_(created_at < before.created_at, and_(created_at == before.created_at, id_column < before.id))
        )
    query = query.order_by(created_at.desc(), id_column.desc()).limit(limit + 1)
    rows = session.execute(query).all()
    items = [row[0] if len(row) == 1 else row for row in rows]
    if len(items) <= limit:
        return Page(items, None)
    items = items[:limit]
    return Page(items, cursor_of(items[-1]))
