"""Request limits per key: requests per second per application (a runaway client loop must not
starve the others), and failed authentications per client address (guessing API keys must be
slow).

The per-application limit holds across API processes (issue 13): `SharedRateLimiter` takes
from one bucket per application in the database every process already uses
(`aicall.db.limits`). A database write per request would cost (SQLite has one writer), so a
process leases tokens in blocks of `LEASE_SECONDS` worth of the rate and spends them locally,
never giving any back. Over any `t` seconds, P processes admit at most
`rate * t + burst + P * lease` requests of one application (lease: `lease_size(rate)`), and,
when they all want more, at least `rate * t - P * lease`. docs/reliability.md has the
measured figures.

The failed-authentication throttle stays in each process (`RateLimiter`): it slows guessing
from one address, and a guesser spreading over P processes still guesses P times slower than
without it.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from starlette.concurrency import run_in_threadpool

from aicall.clock import Clock, utc_now
from aicall.db import faults
from aicall.db.limits import Grant, SharedBuckets
from aicall.errors import RateLimited

__all__ = ["LEASE_SECONDS", "Limiter", "RateLimiter", "SharedRateLimiter", "lease_size"]

_MAX_KEYS = 100_000  # past this many buckets, start afresh rather than grow without bound
# Seconds of the rate a process leases at once. 0.1: at the default 500 requests/s an
# application's lease is 50 requests, a lease costs about a millisecond of database time
# (docs/benchmarks.md, "Limits across processes") and a busy process takes at most ten a second
# per application; the overshoot it allows is 50 requests per process.
LEASE_SECONDS = 0.1


def lease_size(rate: float, burst: float, seconds: float = LEASE_SECONDS) -> int:
    """Tokens a process leases at once: `seconds` of `rate`, at least 1, at most the burst."""
    return max(1, min(math.floor(burst), math.ceil(rate * seconds)))


class Limiter(Protocol):
    """What the API asks for each authenticated request (`web.deps`)."""

    async def admit(self, key: str) -> None:
        """Count one request of `key`; RateLimited when over its limit."""


class RateLimiter:
    """Token buckets per key in this process only; `clock` in seconds (monotonic)."""

    def __init__(self, rate: float, burst: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.burst = max(burst, 1.0)
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, stamp)

    async def admit(self, key: str) -> None:
        self.check(key)

    def check(self, key: str) -> None:
        """Take one token for `key`, or raise RateLimited. A rate of 0 turns the limit off."""
        if self.rate <= 0:
            return
        tokens, now = self._refill(key)
        if tokens < 1:
            self._buckets[key] = (tokens, now)
            raise RateLimited()
        self._store(key, tokens - 1, now)

    def refuse_if_spent(self, key: str) -> None:
        """RateLimited when `key` has no token left; takes none (see `spend`)."""
        if self.rate <= 0:
            return
        tokens, _now = self._refill(key)
        if tokens < 1:
            raise RateLimited()

    def spend(self, key: str) -> None:
        """Take one token for `key` if it has one (an event counted after the fact)."""
        if self.rate <= 0:
            return
        tokens, now = self._refill(key)
        self._store(key, max(0.0, tokens - 1), now)

    def _refill(self, key: str) -> tuple[float, float]:
        now = self._clock()
        tokens, stamp = self._buckets.get(key, (self.burst, now))
        return min(self.burst, tokens + (now - stamp) * self.rate), now

    def _store(self, key: str, tokens: float, now: float) -> None:
        if len(self._buckets) > _MAX_KEYS:
            self._buckets.clear()
        self._buckets[key] = (tokens, now)


@dataclass
class _Lease:
    tokens: int = 0  # leased from the shared bucket, not spent yet
    refused_until: float = 0.0  # epoch seconds: the shared bucket said it is empty till then


class SharedRateLimiter:
    """`rate` requests per second per key (burst `burst`), shared by every process on the
    database of `buckets`. `clock`: wall clock (`aicall.clock`, injected in tests). A rate of 0
    turns the limit off. While the database cannot be written (disk full, read-only, server
    gone: `db.faults`) it limits in this process alone rather than refuse every request."""

    def __init__(
        self,
        buckets: SharedBuckets,
        rate: float,
        burst: float,
        *,
        clock: Clock = utc_now,
        lease_seconds: float = LEASE_SECONDS,
        prefix: str = "api:",
    ) -> None:
        self.rate = rate
        self.burst = max(burst, 1.0)
        self.lease = lease_size(rate, self.burst, lease_seconds) if rate > 0 else 0
        self._buckets = buckets
        self._clock = clock
        self._prefix = prefix
        self._leases: dict[str, _Lease] = {}
        self._lock = asyncio.Lock()  # one lease at a time per process: the others wait for it
        self._fallback = RateLimiter(rate, self.burst)
        self._outage = faults.Outage(
            "shared rate limits", path=faults.sqlite_path(buckets.db.url), logger="aicall.web"
        )

    async def admit(self, key: str) -> None:
        """Count one request of `key` (RateLimited when over); the database is written only when
        this process's lease of `key` is spent, in a worker thread (the bookkeeping stays on the
        event loop, so it needs no lock of its own)."""
        if self.rate <= 0 or self._spend_local(key):
            return
        async with self._lock:
            if self._spend_local(key):  # another request leased meanwhile
                return
            now = self._refuse_if_empty(key)
            grant = await run_in_threadpool(self._take, key, now)
            self._admit_with(key, grant)

    def check(self, key: str) -> None:
        """`admit` without an event loop (tests, benchmarks)."""
        if self.rate <= 0 or self._spend_local(key):
            return
        now = self._refuse_if_empty(key)
        self._admit_with(key, self._take(key, now))

    def _refuse_if_empty(self, key: str) -> float:
        now = self._clock().timestamp()
        lease = self._leases.get(key)
        if lease is not None and now < lease.refused_until:
            raise RateLimited()  # the shared bucket said when its next token is due
        return now

    def _take(self, key: str, now: float) -> Grant | None:
        """A lease from the shared bucket; None while the database cannot be written."""
        try:
            grant = self._buckets.take(
                self._prefix + key, want=self.lease, rate=self.rate, burst=self.burst, now=now
            )
        except Exception as exc:
            if not self._outage.failed(exc):
                raise
            return None
        self._outage.recovered()
        return grant

    def _admit_with(self, key: str, grant: Grant | None) -> None:
        if grant is None:
            self._fallback.check(key)  # the storage is down: the limit in this process alone
            return
        if len(self._leases) > _MAX_KEYS:
            self._leases.clear()
        self._leases[key] = _Lease(tokens=grant.granted, refused_until=grant.ready_at)
        if not self._spend_local(key):
            raise RateLimited()

    def _spend_local(self, key: str) -> bool:
        lease = self._leases.get(key)
        if lease is None or lease.tokens <= 0:
            return False
        lease.tokens -= 1
        return True
