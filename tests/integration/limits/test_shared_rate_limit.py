"""The per-application request limit holds across API processes (issue 13): two
`SharedRateLimiter`s on their own connections stand for two processes; time is a number the
test moves."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.exc import OperationalError

from aicall.db.engine import Database
from aicall.db.limits import SharedBuckets
from aicall.errors import RateLimited
from aicall.web.rate_limit import SharedRateLimiter, lease_size

RATE = 50.0
BURST = 100.0
LEASE_SECONDS = 0.1
SECONDS = 10
STEP = 0.001


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2027, 1, 15, 3, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def admitted(limiter: SharedRateLimiter, key: str) -> bool:
    try:
        limiter.check(key)
    except RateLimited:
        return False
    return True


def test_two_processes_admit_the_rate_once_not_twice(db: Database) -> None:
    other = Database(db.url)
    clock = Clock()
    try:
        limiters = [
            SharedRateLimiter(SharedBuckets(database), RATE, BURST, clock=clock, lease_seconds=LEASE_SECONDS)
            for database in (db, other)
        ]
        lease = lease_size(RATE, BURST, LEASE_SECONDS)
        assert lease == 5 == limiters[0].lease
        counts = [0, 0]
        for _ in range(round(SECONDS / STEP) + 1):  # t = 0 .. 10 s; each wants 4,000 a second
            for index, limiter in enumerate(limiters):
                for _ in range(2):
                    counts[index] += admitted(limiter, "app-a")
            clock.now += timedelta(seconds=STEP)
        assert admitted(limiters[0], "app-b")  # another application has its own allowance
    finally:
        other.dispose()
    total = sum(counts)
    # The documented bound: rate * t + burst + processes * lease; and, both wanting more, no
    # less than the bucket gave minus what the leases still hold.
    assert total <= RATE * SECONDS + BURST + 2 * lease
    assert total >= RATE * SECONDS + BURST - 2 * lease
    assert min(counts) > 0  # both processes were served


def test_a_refused_process_asks_the_database_again_only_when_a_token_is_due(db: Database) -> None:
    clock = Clock()
    calls: list[str] = []
    buckets = SharedBuckets(db)
    original = buckets.take

    def counting_take(key: str, **kwargs: object) -> object:
        calls.append(key)
        return original(key, **kwargs)  # type: ignore[arg-type]

    buckets.take = counting_take  # type: ignore[method-assign]
    limiter = SharedRateLimiter(buckets, rate=1, burst=1, clock=clock)
    assert admitted(limiter, "app")
    for _ in range(100):
        assert not admitted(limiter, "app")
    assert len(calls) == 1  # the lease said when the next token is due: no query till then
    clock.now += timedelta(seconds=1)
    assert admitted(limiter, "app")
    assert len(calls) == 2


def test_a_zero_rate_turns_the_limit_off(db: Database) -> None:
    limiter = SharedRateLimiter(SharedBuckets(db), 0, 0)
    for _ in range(1000):
        limiter.check("app")


async def test_admit_counts_like_check(db: Database) -> None:
    clock = Clock()
    limiter = SharedRateLimiter(SharedBuckets(db), rate=1, burst=3, clock=clock)
    for _ in range(3):
        await limiter.admit("app")
    with pytest.raises(RateLimited):
        await limiter.admit("app")


def test_while_the_database_cannot_be_written_each_process_limits_alone(db: Database) -> None:
    buckets = SharedBuckets(db)

    def disk_full(key: str, **kwargs: object) -> object:
        raise OperationalError("INSERT", {}, sqlite3.OperationalError("database or disk is full"))

    buckets.take = disk_full  # type: ignore[method-assign]
    limiter = SharedRateLimiter(buckets, rate=1, burst=3)
    for _ in range(3):
        limiter.check("app")  # answered, not 503: the limit is this process's own meanwhile
    with pytest.raises(RateLimited):
        limiter.check("app")


def test_an_error_that_is_not_the_storage_is_not_hidden(db: Database) -> None:
    buckets = SharedBuckets(db)

    def broken(key: str, **kwargs: object) -> object:
        raise OperationalError("INSERT", {}, sqlite3.OperationalError("no such table: shared_limits"))

    buckets.take = broken  # type: ignore[method-assign]
    with pytest.raises(OperationalError):
        SharedRateLimiter(buckets, rate=1, burst=3).check("app")
