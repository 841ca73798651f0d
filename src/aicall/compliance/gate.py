"""The claim's question to compliance, asked for each batch of contacts about to be dialled.

Decree 91/2020/ND-CP Art. 13: a number on the account's Do-Not-Call list is never called,
whatever campaign holds it (cl. 1); under the advertising policy a number gets at most one
advertising call per 24 hours across the account's campaigns, counted from the start of the
previous one, answered or not (cl. 5). The dialer's claim asks here after it has read and
locked its contacts and before it creates their attempts, in the same transaction: a number
listed one second before its call is still not dialled.

`screen_claim` is the real gate; the dialer takes it as a parameter, so a test can list a
number between the claim's read and its check, and a benchmark can measure the claim without
it (`no_gate`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple, Protocol

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from aicall.compliance import dnc
from aicall.compliance.models import AdvertisingCall
from aicall.db.base import UTCDateTime

__all__ = ["CallStart", "ClaimGate", "Screen", "no_gate", "record_starts", "release", "screen_claim"]

_CHUNK = 500


@dataclass(frozen=True, slots=True)
class Screen:
    """What the rules say of a batch: numbers never to dial, numbers to hold until a time, and
    the advertising slots taken (number -> the last call time they replaced, None: first)."""

    listed: frozenset[str] = frozenset()
    held: dict[str, datetime] = field(default_factory=dict)
    taken: dict[str, datetime | None] = field(default_factory=dict)


class ClaimGate(Protocol):
    def __call__(
        self,
        session: Session,
        *,
        account_id: str,
        campaign_id: str,
        phones: Collection[str],
        now: datetime,
        advertising_interval: timedelta | None = None,
    ) -> Screen: ...


def screen_claim(
    session: Session,
    *,
    account_id: str,
    campaign_id: str,
    phones: Collection[str],
    now: datetime,
    advertising_interval: timedelta | None = None,
) -> Screen:
    """The batch's numbers on the account's Do-Not-Call list; with `advertising_interval` (an
    advertising campaign) also the numbers called too recently, held until the interval has
    passed, and the slots taken for the others."""
    if not phones:
        return Screen()
    listed = frozenset(dnc.listed(session, account_id=account_id, phones=phones))
    if advertising_interval is None:
        return Screen(listed=listed)
    free = [phone for phone in phones if phone not in listed]
    held, taken = _take_slots(session, account_id, free, now, advertising_interval)
    return Screen(listed=listed, held=held, taken=taken)


def _last_calls(session: Session, account_id: str, phones: list[str]) -> dict[str, datetime]:
    found: dict[str, datetime] = {}
    for start in range(0, len(phones), _CHUNK):
        rows = session.execute(
            select(AdvertisingCall.phone, AdvertisingCall.last_call_at).where(
                AdvertisingCall.account_id == account_id,
                AdvertisingCall.phone.in_(phones[start : start + _CHUNK]),
            )
        ).all()
        found.update((phone, at) for phone, at in rows)
    return found


def _take_slots(
    session: Session, account_id: str, phones: list[str], now: datetime, interval: timedelta
) -> tuple[dict[str, datetime], dict[str, datetime | None]]:
    if not phones:
        return {}, {}
    before = _last_calls(session, account_id, phones)
    held = {
        phone: before[phone] + interval
        for phone in phones
        if phone in before and before[phone] + interval > now
    }
    wanted = [phone for phone in phones if phone not in held]
    if not wanted:
        return held, {}
    # The condition is in the upsert itself: on PostgreSQL a second dialer taking the same
    # number waits for the first one's row and then finds the condition false.
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement: Any = insert(AdvertisingCall).values(
        [{"account_id": account_id, "phone": phone, "last_call_at": now} for phone in wanted]
    )
    statement = statement.on_conflict_do_update(
        index_elements=["account_id", "phone"],
        set_={"last_call_at": statement.excluded.last_call_at},
        where=AdvertisingCall.last_call_at <= now - interval,
    ).returning(AdvertisingCall.phone)
    won = set(session.scalars(statement))
    lost = [phone for phone in wanted if phone not in won]
    if lost:  # another claim took them meanwhile: held as long as its call holds them
        held.update({phone: at + interval for phone, at in _last_calls(session, account_id, lost).items()})
    return held, {phone: before.get(phone) for phone in won}


def release(
    session: Session, *, account_id: str, taken: dict[str, datetime | None], phones: Iterable[str]
) -> None:
    """Give back the slots of numbers the claim took but did not dial (the balance ran out)."""
    for phone in phones:
        if phone not in taken:
            continue
        previous = taken[phone]
        where = (AdvertisingCall.account_id == account_id, AdvertisingCall.phone == phone)
        if previous is None:
            session.execute(delete(AdvertisingCall).where(*where))
        else:
            session.execute(update(AdvertisingCall).where(*where).values(last_call_at=previous))


class CallStart(NamedTuple):
    account_id: str
    phone: str
    started_at: datetime


_CALLS = AdvertisingCall.__table__
_MOVE_TO_START = (
    update(_CALLS)  # type: ignore[arg-type]  # a mapped class's Table, typed as FromClause
    .where(
        _CALLS.c.account_id == bindparam("a"),
        _CALLS.c.phone == bindparam("p"),
        _CALLS.c.last_call_at < bindparam("s", type_=UTCDateTime()),
    )
    .values(last_call_at=bindparam("s", type_=UTCDateTime()))
)


def record_starts(session: Session, starts: Sequence[CallStart]) -> None:
    """Move numbers' last advertising calls to when the calls really started (after the claim),
    so the next one waits the full interval from the start (cl. 5). One executemany."""
    if starts:
        session.connection().execute(
            _MOVE_TO_START, [{"a": s.account_id, "p": s.phone, "s": s.started_at} for s in starts]
        )


def no_gate(
    session: Session,
    *,
    account_id: str,
    campaign_id: str,
    phones: Collection[str],
    now: datetime,
    advertising_interval: timedelta | None = None,
) -> Screen:
    """Nothing refused or held: the engine benchmark's baseline, never production."""
    return Screen()
