"""A campaign's contacts a page at a time, for people: filters, search, keyset paging.

Pages follow import order, (created_at, id), and are fetched by keyset: "the 50 after this
contact", never "skip 50,000". With the indexes of migration 0007 a page costs the same at the
start of a 100,000-contact campaign as at its end (bench/bench_dashboard.py measures both,
beside OFFSET). A page cursor is the (created_at, id) of its edge row, written as
`<microseconds since 1970>.<id>` so it survives a URL as it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Select, Text, and_, cast, exists, func, literal, or_, select, tuple_
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from aicall.campaigns.models import Contact

__all__ = [
    "PAGE_SIZE",
    "ContactFilter",
    "ContactPage",
    "ContactRow",
    "Cursor",
    "page",
    "page_query",
]

PAGE_SIZE = 50
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_CURSOR = re.compile(r"^(-?\d{1,20})\.([0-9A-Za-z-]{1,36})$")
_MIN_PHONE_DIGITS = 3  # fewer digits match nearly every number: search the tags only
# Characters JSON writes as themselves: printable ASCII but the quote and the backslash (json.dumps
# escapes the rest, non-ASCII included, as SQLAlchemy stores JSON on SQLite).
_ASCII_RUN = re.compile(r"[ !#-\[\]-~]{3,}")
_JSON_ESCAPED = re.compile(r'["\\\x00-\x1f]')  # written escaped in jsonb's text too
_NUMBER = re.compile(r"^\+?[\d\s().-]+$")  # how people write phone numbers: 0987 654 321, +84-98...


@dataclass(frozen=True, slots=True)
class Cursor:
    """The edge of a page: the (created_at, id) of its first or last row."""

    created_at: datetime
    id: str

    def token(self) -> str:
        delta = self.created_at - _EPOCH
        micros = (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds
        return f"{micros}.{self.id}"

    @classmethod
    def parse(cls, token: str | None) -> Cursor | None:
        """The cursor a token names; None for no token or one not made by `token()`."""
        match = _CURSOR.match(token or "")
        if match is None:
            return None
        try:
            moment = _EPOCH + timedelta(microseconds=int(match.group(1)))
        except OverflowError:
            return None
        return cls(moment, match.group(2))


@dataclass(frozen=True, slots=True)
class ContactFilter:
    """What the table shows: a status, a last outcome, a search over the number and tag values."""

    status: str | None = None
    outcome: str | None = None
    search: str | None = None

    @property
    def active(self) -> bool:
        return bool(self.status or self.outcome or self.search)


@dataclass(frozen=True, slots=True)
class ContactRow:
    id: str
    phone: str
    tags: dict[str, Any]
    status: str
    attempts: int
    last_outcome: str | None
    next_attempt_at: datetime | None
    updated_at: datetime
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ContactPage:
    rows: list[ContactRow]
    next: Cursor | None  # ask `after=next` for the following page; None on the last page
    previous: Cursor | None  # ask `before=previous` for the page before; None on the first page


_COLUMNS = (
    Contact.id,
    Contact.phone,
    Contact.tags,
    Contact.status,
    Contact.attempts,
    Contact.last_outcome,
    Contact.next_attempt_at,
    Contact.updated_at,
    Contact.created_at,
)


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _tag_value_matches(search: str, dialect: str) -> ColumnElement[bool]:
    """Some tag value of the contact contains `search` (keys are not searched).

    The exact test reads the values one by one (json_each / jsonb_each_text): SQLite stores
    JSON with non-ASCII escaped (`\\u1ec5`), so its text cannot be searched for a Vietnamese
    name as it is. Reading every contact's values is the slow part of a search (bench_dashboard),
    so a cheap test on the column's text goes first and the exact one sees only what passes it:
    PostgreSQL's text of a jsonb keeps UTF-8 as it is, and SQLite's keeps ASCII, so a value
    holding the search has its text (PostgreSQL) or its longest ASCII run (SQLite) in there.
    """
    pattern = _like_pattern(search)
    text = cast(Contact.tags, Text)
    if dialect == "postgresql":
        tag = func.jsonb_each_text(Contact.tags).table_valued("key", "value").alias("tag")
        exact = exists(select(literal(1)).select_from(tag).where(tag.c.value.ilike(pattern, escape="\\")))
        if _JSON_ESCAPED.search(search):
            return exact
        return and_(text.ilike(pattern, escape="\\"), exact)
    tag = func.json_each(Contact.tags).table_valued("key", "value").alias("tag")
    exact = exists(select(literal(1)).select_from(tag).where(tag.c.value.like(pattern, escape="\\")))
    runs = _ASCII_RUN.findall(search)
    if not runs:
        return exact
    return and_(text.like(_like_pattern(max(runs, key=len)), escape="\\"), exact)


def search_condition(search: str, dialect: str) -> ColumnElement[bool]:
    """A number (any run of 3+ digits, `0981…`, `+84981…`, `981…`) or a tag value."""
    condition = _tag_value_matches(search.strip(), dialect)
    digits = re.sub(r"\D", "", search)
    # Only a search written as a number is a number: "Bích 777" is a name, not "...777...".
    if _NUMBER.match(search.strip()) and len(digits) >= _MIN_PHONE_DIGITS:
        # Numbers are stored in E.164 (+8498…): a national `098…` loses its trunk 0, `84…` its
        # country code is kept (it is in the stored text too).
        national = digits[1:] if digits.startswith("0") else digits
        condition = or_(Contact.phone.like(_like_pattern(national), escape="\\"), condition)
    return condition


def page_query(
    *,
    campaign_id: str,
    filters: ContactFilter,
    dialect: str,
    after: Cursor | None = None,
    before: Cursor | None = None,
    size: int = PAGE_SIZE,
) -> Select[Any]:
    """The one SELECT behind a page: `size + 1` rows (the extra one tells if there is more),
    after `after` in import order, or before `before` in reverse order."""
    query = select(*_COLUMNS).where(Contact.campaign_id == campaign_id)
    if filters.status:
        query = query.where(Contact.status == filters.status)
    if filters.outcome:
        query = query.where(Contact.last_outcome == filters.outcome)
    if filters.search and filters.search.strip():
        query = query.where(search_condition(filters.search, dialect))
    key = tuple_(Contact.created_at, Contact.id)
    if before is not None:
        query = query.where(
            key < tuple_(literal(before.created_at, Contact.created_at.type), literal(before.id))
        )
        return query.order_by(Contact.created_at.desc(), Contact.id.desc()).limit(size + 1)
    if after is not None:
        query = query.where(
            key > tuple_(literal(after.created_at, Contact.created_at.type), literal(after.id))
        )
    return query.order_by(Contact.created_at, Contact.id).limit(size + 1)


def page(
    session: Session,
    *,
    campaign_id: str,
    filters: ContactFilter,
    after: Cursor | None = None,
    before: Cursor | None = None,
    size: int = PAGE_SIZE,
) -> ContactPage:
    """One page of the campaign's contacts that pass `filters` (the caller checked the campaign
    belongs to the person's account)."""
    dialect = session.get_bind().dialect.name
    query = page_query(
        campaign_id=campaign_id, filters=filters, dialect=dialect, after=after, before=before, size=size
    )
    found = [ContactRow(*row) for row in session.execute(query)]
    more = len(found) > size
    rows = found[:size]
    if before is not None:
        rows.reverse()
        previous = _edge(rows[0]) if more and rows else None
        following = _edge(rows[-1]) if rows else None
        return ContactPage(rows=rows, next=following, previous=previous)
    return ContactPage(
        rows=rows,
        next=_edge(rows[-1]) if more and rows else None,
        previous=_edge(rows[0]) if after is not None and rows else None,
    )


def _edge(row: ContactRow) -> Cursor:
    return Cursor(row.created_at, row.id)
