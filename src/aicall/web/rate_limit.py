"""Token buckets per key, in this process: requests per second per application (a runaway client
loop must not starve the others), and failed authentications per client address (guessing
API keys must be slow). Several API processes each apply the limits."""

from __future__ import annotations

import time
from collections.abc import Callable

from aicall.errors import RateLimited

_MAX_KEYS = 100_000  # past this many buckets, start afresh rather than grow without bound


class RateLimiter:
    def __init__(self, rate: float, burst: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.burst = max(burst, 1.0)
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, stamp)

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
