"""Requests per second per application, in this process (a runaway client loop must not starve
the others; several API processes each apply the limit)."""

from __future__ import annotations

import time
from collections.abc import Callable

from aicall.errors import RateLimited


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
        now = self._clock()
        tokens, stamp = self._buckets.get(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - stamp) * self.rate)
        if tokens < 1:
            self._buckets[key] = (tokens, now)
            raise RateLimited()
        if len(self._buckets) > 100_000:
            self._buckets.clear()
        self._buckets[key] = (tokens - 1, now)
