"""Calls over time for one campaign: dials counted per time bucket, for the dashboard's chart.

The bucket size follows the campaign's age so a chart has at most `MAX_BUCKETS` bars: a demo
on the 20x simulator shows 10-second bars, a week-long campaign hourly ones. Buckets are
counted in SQL (one grouped query), never by reading every attempt.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Float, case, cast, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.sql.elements import ColumnElement

from aicall.calls.models import AttemptStatus, CallAttempt

__all__ = ["BUCKET_SIZES", "MAX_BUCKETS", "Bucket", "Chart", "calls_over_time"]

MAX_BUCKETS = 60
# Seconds per bar, smallest first: the first that fits the campaign's span in MAX_BUCKETS.
BUCKET_SIZES = (10, 30, 60, 300, 900, 3600, 3 * 3600, 6 * 3600, 86400, 7 * 86400)


@dataclass(frozen=True, slots=True)
class Bucket:
    """Calls dialled in [start, start + size): answered, not answered, still in progress."""

    start: datetime
    answered: int
    unanswered: int
    live: int

    @property
    def total(self) -> int:
        return self.answered + self.unanswered + self.live


@dataclass(frozen=True, slots=True)
class Chart:
    size: int  # seconds per bucket
    buckets: list[Bucket]  # every bucket from the first dial to the end, empty ones included

    @property
    def peak(self) -> int:
        return max((b.total for b in self.buckets), default=0)


def _epoch(column: InstrumentedAttribute[datetime], dialect: str) -> ColumnElement[float]:
    """Seconds since 1970 of a UTC timestamp column, in SQL."""
    if dialect == "sqlite":  # stored as naive UTC text; julianday keeps the fraction of a second
        return (func.julianday(column) - 2440587.5) * 86400.0
    return cast(func.extract("epoch", column), Float)


def bucket_size(span_seconds: float) -> int:
    """The smallest bucket that draws `span_seconds` in at most MAX_BUCKETS bars, counting the
    bar gained by starting the first on a round time."""
    for size in BUCKET_SIZES:
        if span_seconds // size + 2 <= MAX_BUCKETS:
            return size
    return BUCKET_SIZES[-1]


def calls_over_time(session: Session, *, campaign_id: str, now: datetime) -> Chart:
    """Dials of the campaign (by claim time) from its first dial to `now` (or its last dial, if
    that is later), bucketed; an empty chart before the first dial."""
    bounds = session.execute(
        select(func.min(CallAttempt.claimed_at), func.max(CallAttempt.claimed_at)).where(
            CallAttempt.campaign_id == campaign_id
        )
    ).one()
    first: datetime | None = bounds[0]  # None: no attempt yet (min of no rows)
    last: datetime | None = bounds[1]
    if first is None or last is None:
        return Chart(size=BUCKET_SIZES[0], buckets=[])
    first = _aware(first)  # min/max keep the column's type; _aware guards a driver that does not
    end = max(_aware(last), now)
    size = bucket_size((end - first).total_seconds())
    origin = first.timestamp() // size * size  # bars start on round times: 14:05:00, not 14:05:07
    dialect = session.get_bind().dialect.name
    index = func.floor((_epoch(CallAttempt.claimed_at, dialect) - origin) / size)
    answered = func.sum(case((CallAttempt.outcome == "answered", 1), else_=0))
    live = func.sum(case((CallAttempt.status == AttemptStatus.IN_PROGRESS.value, 1), else_=0))
    counts = {
        int(i): (int(a or 0), int(n), int(lv or 0))
        for i, a, n, lv in session.execute(
            select(index, answered, func.count(), live)
            .where(CallAttempt.campaign_id == campaign_id)
            .group_by(index)
        )
    }
    count = int((end.timestamp() - origin) // size) + 1
    start = datetime.fromtimestamp(origin, tz=first.tzinfo)
    buckets = []
    for i in range(count):
        answered_n, total, live_n = counts.get(i, (0, 0, 0))
        buckets.append(
            Bucket(
                start=start + timedelta(seconds=i * size),
                answered=answered_n,
                unanswered=total - answered_n - live_n,
                live=live_n,
            )
        )
    return Chart(size=size, buckets=buckets)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
