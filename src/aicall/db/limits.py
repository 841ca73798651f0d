"""Rate limits shared by every process on one database: a token bucket per key, stored as a
row, taken from in one atomic statement (issue 13).

The bucket is kept as GCRA, the Generic Cell Rate Algorithm (ITU-T I.371 / ATM Forum TM 4.1):
a row holds the key's theoretical arrival time `tat` (seconds since the Unix epoch). Taking `k`
tokens at time `now` moves it to `max(tat, now) + k / rate`, and is allowed while the result
stays within `burst / rate` seconds of `now`. A full bucket is `tat <= now`; an empty one is
`tat >= now + burst / rate`. One upsert both creates a key and takes from it, and grants as many
of the tokens asked as the bucket holds (possibly none), so a caller may take "up to n".

Bound: over any interval of `t` seconds, all processes together are granted at most
`rate * t + burst` tokens of one key (plus `rate * skew` if their clocks disagree by `skew`).

Clocks: `now` is the calling process's wall clock (`aicall.clock`, injected), not the
database's, so tests drive it and SQLite (which has no server clock) works the same. Per key the
state only moves forward (`max(tat, now)`). A host whose clock is behind the others sees an
emptier bucket (it is stricter, never looser); one ahead by `d` seconds may take up to
`rate * d` tokens early, once. A `tat` more than `burst / rate + SKEW_LIMIT` seconds ahead of a
process's clock can only come from a clock that jumped forward and back (or one more than
SKEW_LIMIT off): that process resets the key to an empty bucket rather than refuse everything
until its clock catches up.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Double, Integer, String, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from aicall.db.base import Base
from aicall.db.engine import Database

__all__ = ["SKEW_LIMIT", "Grant", "SharedBuckets", "SharedLimit"]

# Seconds by which hosts' clocks may disagree before the rule above resets a key (NTP keeps
# them within milliseconds; a VM resumed from a snapshot may not be).
SKEW_LIMIT = 5.0
# Tokens: float rounding of `tat` (about 2e-7 s at today's epoch) must not turn a whole token
# into 0.9999; a thousandth of a token is the most ever granted early by it.
_EPSILON = 1e-3
# Rows not taken from for this long are full buckets (`tat < now`): deleting them changes
# nothing but the table's size. Each process prunes at most once per PRUNE_EVERY seconds.
PRUNE_AFTER = 86_400.0
PRUNE_EVERY = 3_600.0


class SharedLimit(Base):
    """One shared bucket: `key` names what is limited (`api:<application id>`,
    `cps:campaign:<campaign id>`); `tat` its theoretical arrival time in epoch seconds;
    `granted` the tokens given by the last take (read back by that take's RETURNING)."""

    __tablename__ = "shared_limits"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    tat: Mapped[float] = mapped_column(Double, nullable=False)
    granted: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


@dataclass(frozen=True)
class Grant:
    """`granted` tokens (0..asked); `ready_at`: epoch seconds when the bucket next holds a
    token (<= now when it holds one already)."""

    granted: int
    ready_at: float


def _take_sql(dialect: str) -> str:
    greatest, least = ("GREATEST", "LEAST") if dialect == "postgresql" else ("max", "min")
    # SQLite's CAST truncates toward zero (its floor() needs a build option); PostgreSQL's
    # rounds, hence floor() there. The argument is never negative.
    whole = "CAST(floor({}) AS INTEGER)" if dialect == "postgresql" else "CAST({} AS INTEGER)"
    old = "shared_limits.tat"
    # Where taking starts: the bucket refills up to full (max with now); a tat impossibly far
    # ahead (a clock that jumped) is reset to an empty bucket (module docstring).
    start = f"(CASE WHEN {old} > :now + :tau + :skew THEN :now + :tau ELSE {greatest}({old}, :now) END)"
    room = whole.format(f"{greatest}(0.0, (:tau - ({start} - :now)) * :rate + :eps)")
    granted = f"{least}(:want, {room})"
    fresh = f"{least}(:want, {whole.format(':burst + :eps')})"
    # In ON CONFLICT DO UPDATE every SET expression reads the row as it was (SQL standard, and
    # SQLite's upsert): `granted` and `tat` are computed from the same old tat.
    return (
        "INSERT INTO shared_limits (key, tat, granted) "
        f"VALUES (:key, :now + {fresh} * :interval, {fresh}) "
        f"ON CONFLICT (key) DO UPDATE SET granted = {granted}, tat = {start} + {granted} * :interval "
        "RETURNING granted, tat"
    )


def _give_back_sql(dialect: str) -> str:
    greatest = "GREATEST" if dialect == "postgresql" else "max"
    # Never below now: a bucket that refilled meanwhile must not end up fuller than full.
    return f"UPDATE shared_limits SET tat = {greatest}(tat - :count * :interval, :now) WHERE key = :key"


class SharedBuckets:
    """Token buckets in the `shared_limits` table of `db`, shared by every process using it.

    Rates are tokens per second (> 0), bursts tokens (>= 1), times epoch seconds. Methods take
    an open `session` to run inside the caller's transaction (on SQLite a second transaction
    would wait for the caller's write lock), or none to commit on their own. Errors are the
    database's (SQLAlchemy exceptions; `db.faults` tells storage faults apart)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._take = text(_take_sql(db.dialect))
        self._give_back = text(_give_back_sql(db.dialect))
        self._next_prune = 0.0

    def take(
        self, key: str, *, want: int, rate: float, burst: float, now: float, session: Session | None = None
    ) -> Grant:
        """Take up to `want` tokens of `key` at time `now`; the grant says how many."""
        if rate <= 0 or want < 0:
            raise ValueError(f"rate must be > 0 and want >= 0 (rate={rate}, want={want})")
        burst = max(1.0, burst)
        params: dict[str, Any] = {
            "key": key,
            "want": want,
            "now": now,
            "rate": rate,
            "burst": burst,
            "tau": burst / rate,
            "interval": 1.0 / rate,
            "skew": SKEW_LIMIT,
            "eps": _EPSILON,
        }
        if session is None:
            with self.db.transaction() as own:
                return self._run_take(own, params, burst / rate, now)
        return self._run_take(session, params, burst / rate, now)

    def _run_take(self, session: Session, params: dict[str, Any], tau: float, now: float) -> Grant:
        granted, tat = session.execute(self._take, params).one()
        if now >= self._next_prune:
            self._next_prune = now + PRUNE_EVERY
            session.execute(text("DELETE FROM shared_limits WHERE tat < :cut"), {"cut": now - PRUNE_AFTER})
        # The next token is there once tat - t <= tau - interval.
        return Grant(int(granted), float(tat) - tau + params["interval"])

    def give_back(
        self, key: str, *, count: int, rate: float, now: float, session: Session | None = None
    ) -> None:
        """Return `count` tokens taken from `key` and not used (a claim found fewer contacts)."""
        if count <= 0 or rate <= 0:
            return
        params = {"key": key, "count": count, "interval": 1.0 / rate, "now": now}
        if session is None:
            with self.db.transaction() as own:
                own.execute(self._give_back, params)
        else:
            session.execute(self._give_back, params)
