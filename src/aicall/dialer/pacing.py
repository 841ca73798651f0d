"""Calls-per-second pacing: one token bucket per campaign, shared by every dialer on the database
(`aicall.db.limits`), so N dialers on one campaign dial at its rate, not N times it (issue 13).

A pass takes the tokens for the batch it is about to claim in one statement, claims at most as
many contacts as it got, and gives back the tokens of contacts it did not find. Nothing is kept
between passes, so over any `t` seconds a campaign starts at most `rate * t + burst` calls
whatever the number of dialers (burst: one second's worth, at least 1).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from aicall.db.engine import Database
from aicall.db.limits import SharedBuckets

__all__ = ["CallPacing", "Pace", "burst_of"]


def burst_of(rate: float) -> float:
    """Calls a campaign may start at once after idling: one second's worth, at least one."""
    return max(1.0, rate)


class Pace:
    """One campaign's tokens for one claim: `reserve(want)` takes up to `want` (returns how many
    it got), `take(used)` settles, giving back `reserved - used`. Both run in the claim's
    session on SQLite; on PostgreSQL each commits alone (see `CallPacing.campaign`)."""

    def __init__(
        self, buckets: SharedBuckets, key: str, rate: float, *, now: float, session: Session | None
    ) -> None:
        self._buckets = buckets
        self._key = key
        self._rate = rate
        self._now = now
        self._session = session
        self._reserved = 0

    def reserve(self, want: int) -> int:
        if want <= 0:
            return 0
        grant = self._buckets.take(
            self._key,
            want=want,
            rate=self._rate,
            burst=burst_of(self._rate),
            now=self._now,
            session=self._session,
        )
        self._reserved += grant.granted
        return grant.granted

    def take(self, used: int) -> None:
        unused = self._reserved - used
        self._reserved = 0
        self._buckets.give_back(
            self._key, count=unused, rate=self._rate, now=self._now, session=self._session
        )


class CallPacing:
    """The calls-per-second buckets of one dialer process; the state is in the database."""

    def __init__(self, db: Database) -> None:
        self._buckets = SharedBuckets(db)
        # SQLite has one writer and the claim's transaction already holds the write lock: the
        # take rides in it (a transaction of its own would wait for the claim's to end). On
        # PostgreSQL a take commits alone, so the bucket row is not locked through the claim
        # and dialers claim side by side (SKIP LOCKED).
        self._in_claim = db.dialect == "sqlite"

    def campaign(self, campaign_id: str, rate: float, *, session: Session, now: datetime) -> Pace:
        """The pace of `campaign_id` at `rate` calls per second (> 0), for a claim at `now`."""
        return Pace(
            self._buckets,
            f"cps:campaign:{campaign_id}",
            rate,
            now=now.timestamp(),
            session=session if self._in_claim else None,
        )
