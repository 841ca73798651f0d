"""Do-Not-Call lists: one per account, numbers in E.164 (Decree 91/2020/ND-CP Art. 13 cl. 1).

The only writer of `dnc_entries`. Contact import and the dialer's claim ask `listed`; the
result store appends opt-outs with `add`. What listing a number does to contacts already
waiting (they stop) is the dialer's to write: `aicall.dialer.do_not_call`.

Bulk loads (the national register is a list of a million numbers) are multi-row
`INSERT ... ON CONFLICT DO NOTHING` statements of a few thousand rows, on SQLite and PostgreSQL
alike: a number listed twice is listed once, and the count of new rows comes back from the
database, not from a look-up before each insert.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any, cast

from sqlalchemy import Connection, CursorResult, delete, func, select
from sqlalchemy.orm import Session

from aicall.accounts.models import Application
from aicall.campaigns.models import Campaign
from aicall.clock import utc_now
from aicall.compliance import audit
from aicall.compliance.models import DncEntry
from aicall.compliance.rules import AuditType, DncSource, Rule
from aicall.db.base import UTCDateTime
from aicall.errors import NotFound, ValidationFailed
from aicall.phones import PhoneError, normalise

__all__ = [
    "MAX_REASON_LENGTH",
    "Added",
    "NotListed",
    "add",
    "entry_dict",
    "lines_of",
    "listed",
    "listed_for_application",
    "listed_for_campaign",
    "normalise_all",
    "read_numbers",
    "record_refused_at_import",
    "remove",
    "search",
]

MAX_REASON_LENGTH = 200
MAX_REPORTED = 100  # bad lines named in one error: enough to fix a file, bounded for the answer
_INSERT_BATCH = 5000  # rows per INSERT: 25,000 parameters, under SQLite's 32,766 and PG's 65,535
_LOOKUP_CHUNK = 500  # numbers per IN (...) look-up
_HEADER = re.compile(r"^[^0-9]*$")  # a first line with no digit is a column name, not a number
_FIELD_SEPARATORS = re.compile(r"[,;\t]")


class NotListed(NotFound):
    message = "The number is not on the Do-Not-Call list"


@dataclass(frozen=True, slots=True)
class Added:
    """The result of an add: how many numbers were new, and how many were listed already."""

    added: int
    already_listed: int

    def to_dict(self) -> dict[str, int]:
        return {"added": self.added, "already_listed": self.already_listed}


def normalise_all(raw: Sequence[Any], *, region: str, field: str = "phone_numbers") -> list[str]:
    """Every number in E.164, in order, duplicates dropped; ValidationFailed naming each bad one
    (`phone_numbers[3]`) when any is invalid: a list is taken whole or not at all."""
    problems: list[dict[str, str]] = []
    phones: dict[str, None] = {}
    for index, value in enumerate(raw):
        try:
            phones[normalise(value, region)] = None
        except PhoneError as exc:
            problems.append({"field": f"{field}[{index}]", "message": str(exc)})
    if problems:
        raise _invalid(problems, len(problems))
    return list(phones)


def read_numbers(lines: Iterable[str], *, region: str) -> list[str]:
    """The numbers of a file, one per line (the first field of a CSV line), in E.164 without
    duplicates. Blank lines and a first line without digits (a header) are skipped. Any invalid
    line fails the whole file with ValidationFailed naming each bad line (`line 7`)."""
    problems: list[dict[str, str]] = []
    count = 0
    phones: dict[str, None] = {}
    for number, line in _numbered(lines):
        try:
            phones[normalise(line, region)] = None
        except PhoneError as exc:
            count += 1
            if len(problems) < MAX_REPORTED:
                problems.append({"field": f"line {number}", "message": f"{exc} ({line[:40]!r})"})
    if count:
        raise _invalid(problems, count)
    return list(phones)


def _numbered(lines: Iterable[str]) -> Iterator[tuple[int, str]]:
    for number, raw in enumerate(lines, start=1):
        text = raw.strip().lstrip("\ufeff")
        if "," in text or ";" in text or "\t" in text:
            text = _FIELD_SEPARATORS.split(text, maxsplit=1)[0].strip().strip('"')
        if not text or (number == 1 and _HEADER.match(text)):
            continue
        yield number, text


def _invalid(problems: list[dict[str, str]], count: int) -> ValidationFailed:
    first = problems[0]
    more = f" (and {count - 1} more)" if count > 1 else ""
    return ValidationFailed(
        f"{count} invalid number{'s' if count > 1 else ''}, nothing was listed: "
        f"{first['field']}: {first['message']}{more}",
        details=problems,
    )


def lines_of(stream: IO[bytes]) -> Iterator[str]:
    """A binary file's lines as text (UTF-8, a BOM allowed)."""
    for raw in stream:
        try:
            yield raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ValidationFailed(f"the file is not UTF-8 text (byte {exc.start})", field="file") from exc


def add(
    session: Session,
    *,
    account_id: str,
    phones: Sequence[str],
    source: DncSource,
    reason: str | None = None,
    now: datetime | None = None,
    audited: bool = True,
) -> Added:
    """List normalised `phones` for the account (numbers already listed keep their first entry).

    The audit log gets one entry per number for a short list, one for the whole load of a long
    one (a register of a million numbers is one event, not a million). `audited=False`: the
    caller writes its own entry (an opt-out names its contact and campaign).
    """
    at = now or utc_now()
    reason = reason[:MAX_REASON_LENGTH] if reason else None
    added = _insert_many(session, account_id=account_id, phones=phones, source=source, reason=reason, now=at)
    if audited and phones:
        detail = f"source {source.value}" + (f": {reason}" if reason else "")
        if len(phones) <= 100:
            entries = [
                audit.Entry(AuditType.DNC_CHANGE, audit.Action.ADDED, phone=phone, detail=detail)
                for phone in phones
            ]
        else:
            entries = [
                audit.Entry(
                    AuditType.DNC_CHANGE,
                    audit.Action.ADDED,
                    detail=f"{added} numbers listed, {len(phones) - added} already listed; {detail}",
                )
            ]
        audit.record(session, account_id=account_id, entries=entries, now=at)
    return Added(added=added, already_listed=len(phones) - added)


def _insert_many(
    session: Session,
    *,
    account_id: str,
    phones: Sequence[str],
    source: DncSource,
    reason: str | None,
    now: datetime,
) -> int:
    """Multi-row INSERT ... ON CONFLICT DO NOTHING in batches; return how many rows are new.

    Written as the driver's own SQL: building a 5,000-row statement through the ORM cost more
    than running it. SQLite takes VALUES lists; PostgreSQL an array per batch (`_insert_arrays`).
    """
    if not phones:
        return 0
    connection = session.connection()
    dialect = connection.dialect
    if dialect.name == "postgresql":
        return _insert_arrays(connection, account_id, phones, source, reason, now)
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    created = UTCDateTime().process_bind_param(now, dialect)  # as the column stores it
    row = f"({mark}, {mark}, {mark}, {mark}, {mark})"
    statements: dict[int, str] = {}
    added = 0
    for start in range(0, len(phones), _INSERT_BATCH):
        batch = phones[start : start + _INSERT_BATCH]
        sql = statements.get(len(batch))
        if sql is None:
            sql = statements[len(batch)] = (
                "INSERT INTO dnc_entries (account_id, phone, source, reason, created_at) VALUES "
                + ", ".join([row] * len(batch))
                + " ON CONFLICT (account_id, phone) DO NOTHING"
            )
        params: list[Any] = []
        for phone in batch:
            params += (account_id, phone, source.value, reason, created)
        result = connection.exec_driver_sql(sql, tuple(params))
        added += max(result.rowcount, 0)
    return added


_PG_BATCH = 50_000  # numbers per statement: one array parameter, whatever the count


def _insert_arrays(
    connection: Connection,
    account_id: str,
    phones: Sequence[str],
    source: DncSource,
    reason: str | None,
    now: datetime,
) -> int:
    """PostgreSQL: the batch's numbers as one array, unnested into the rows. The same multi-row
    INSERT ... ON CONFLICT DO NOTHING, but psycopg binds one parameter, not 25,000: a million
    numbers went in 5 times faster than as VALUES lists (bench/bench_dnc.py)."""
    added = 0
    for start in range(0, len(phones), _PG_BATCH):
        result = connection.exec_driver_sql(
            "INSERT INTO dnc_entries (account_id, phone, source, reason, created_at) "
            "SELECT %s, unnest(%s::varchar[]), %s, %s, %s ON CONFLICT (account_id, phone) DO NOTHING",
            (account_id, list(phones[start : start + _PG_BATCH]), source.value, reason, now),
        )
        added += max(result.rowcount, 0)
    return added


def remove(session: Session, *, account_id: str, phone: str, now: datetime | None = None) -> bool:
    """Take a number off the account's list; False when it was not listed."""
    result = session.execute(
        delete(DncEntry).where(DncEntry.account_id == account_id, DncEntry.phone == phone)
    )
    removed = cast("CursorResult[Any]", result).rowcount  # a DELETE's result has one
    if removed:
        audit.record(
            session,
            account_id=account_id,
            entries=[audit.Entry(AuditType.DNC_CHANGE, audit.Action.REMOVED, phone=phone)],
            now=now,
        )
    return bool(removed)


def listed(session: Session, *, account_id: str, phones: Iterable[str]) -> set[str]:
    """Which of `phones` are on the account's list (primary-key look-ups, 500 at a time)."""
    wanted = list(set(phones))
    found: set[str] = set()
    for start in range(0, len(wanted), _LOOKUP_CHUNK):
        chunk = wanted[start : start + _LOOKUP_CHUNK]
        found.update(
            session.scalars(
                select(DncEntry.phone).where(DncEntry.account_id == account_id, DncEntry.phone.in_(chunk))
            )
        )
    return found


def listed_for_application(session: Session, *, application_id: str, phones: Iterable[str]) -> set[str]:
    """`listed` for the account that owns the application (contact import knows the application)."""
    account_id = session.scalar(select(Application.account_id).where(Application.id == application_id))
    if account_id is None:
        return set()
    return listed(session, account_id=account_id, phones=phones)


def listed_for_campaign(session: Session, *, campaign_id: str, phones: Iterable[str]) -> set[str]:
    """`listed` for the account that owns the campaign (contact import and file import)."""
    account_id = _account_of_campaign(session, campaign_id)
    if account_id is None:
        return set()
    return listed(session, account_id=account_id, phones=phones)


def record_refused_at_import(session: Session, *, campaign_id: str, phones: Sequence[str]) -> None:
    """Audit the contacts an import refused because their number is listed (not a dry run's)."""
    account_id = _account_of_campaign(session, campaign_id) if phones else None
    if account_id is None:
        return
    entries = [
        audit.Entry(
            AuditType.DO_NOT_CALL,
            audit.Action.REJECTED_AT_IMPORT,
            rule=Rule.DO_NOT_CALL_LIST,
            phone=phone,
            campaign_id=campaign_id,
        )
        for phone in phones
    ]
    audit.record(session, account_id=account_id, entries=entries)


def _account_of_campaign(session: Session, campaign_id: str) -> str | None:
    return session.scalar(
        select(Application.account_id)
        .join(Campaign, Campaign.application_id == Application.id)
        .where(Campaign.id == campaign_id)
    )


def search(
    session: Session, *, account_id: str, number: str | None, limit: int, offset: int
) -> tuple[list[DncEntry], int]:
    """One page of the account's list in number order, and how many match. `number`: a whole
    number, or its first digits (`0987`, `84987`, `+84987`), matched as a prefix of E.164."""
    query = select(DncEntry).where(DncEntry.account_id == account_id)
    prefix = _prefix(number)
    if prefix:
        # A range on the primary key, not LIKE: the index answers it on both databases.
        query = query.where(DncEntry.phone >= prefix, DncEntry.phone < prefix + "\x7f")
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(DncEntry.phone).limit(limit).offset(offset)).all()
    return list(rows), int(total)


def _prefix(number: str | None) -> str | None:
    if number is None:
        return None
    digits = "".join(ch for ch in number if ch.isdigit())
    if not digits:
        raise ValidationFailed("give digits to search for", field="phoneNumber")
    if number.strip().startswith("+"):
        return "+" + digits
    if digits.startswith("0"):
        return "+84" + digits[1:]  # a national number as Vietnamese lists write it
    return "+" + digits


def entry_dict(entry: DncEntry) -> dict[str, Any]:
    """The API's Do-Not-Call entry."""
    return {
        "phone_number": entry.phone,
        "source": entry.source,
        "reason": entry.reason,
        "created_at": entry.created_at.isoformat(),
    }
