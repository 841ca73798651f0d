"""Calls-per-second pacing: a token bucket per campaign (and one per trunk)."""

from __future__ import annotations

import time
from collections.abc import Callable


class TokenBucket:
    def __init__(
        self, rate: float, *, burst: float | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.burst = burst if burst is not None else max(1.0, rate)
        self._clock = clock
        self._tokens = self.burst
        self._stamp = clock()

    def available(self) -> int:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now
        return int(self._tokens)

    def take(self, count: int) -> None:
        self.available()
        self._tokens -= count

    def set_rate(self, rate: float) -> None:
        if rate != self.rate:
            self.available()
            self.rate = rate
            self.burst = max(1.0, rate)
