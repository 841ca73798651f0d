"""Virtual time for one simulated call.

Every wait is counted in call seconds and slept for `seconds * scale` real seconds. The call's
timestamps are read off its own timeline (the clock's reading at dial time plus the call
seconds gone by), so a call run at scale 0.01 or 0 still shows the ring time and duration it
would have at scale 1: durations, costs and reports look real while tests run fast.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

__all__ = ["VirtualTimeline", "utc_now"]


def utc_now() -> datetime:
    return datetime.now(UTC)


class VirtualTimeline:
    """One call's clock. Waits may overlap (the call flow plays a prompt while a reader of the
    callee's audio follows along): call time is then the furthest any wait has reached, never
    their sum."""

    def __init__(self, *, start: datetime, scale: float) -> None:
        self.start = start
        self.scale = scale
        self.elapsed = 0.0  # call seconds since dialling began, up to the waits in progress
        # Waits in progress: token -> (loop time it began, call seconds at its start, its length).
        self._waits: dict[int, tuple[float, float, float]] = {}
        self._tokens = 0

    def position(self) -> float:
        """Call seconds since dialling began, the parts of waits in progress included: a hang-up
        from our side in the middle of a prompt ends the call then, not when the prompt began."""
        seconds = self.elapsed
        if self._waits and self.scale > 0:
            now = asyncio.get_running_loop().time()
            for began, start, length in self._waits.values():
                seconds = max(seconds, start + min(length, (now - began) / self.scale))
        return seconds

    def now(self) -> datetime:
        """The call's time (`position` as a UTC datetime)."""
        return self.start + timedelta(seconds=self.position())

    @property
    def waiting(self) -> bool:
        """Some wait is in progress (call time is passing by itself)."""
        return bool(self._waits)

    async def sleep(self, seconds: float, *, wake: asyncio.Event | None = None) -> None:
        """Let `seconds` of call time pass; `wake` being set cuts the wait short (our hang-up)."""
        seconds = max(0.0, seconds)
        real = seconds * self.scale
        loop = asyncio.get_running_loop()
        began, start = loop.time(), self.position()
        token = self._tokens = self._tokens + 1
        self._waits[token] = (began, start, seconds)
        try:
            if real <= 0 or wake is None:
                # Even at scale 0 this yields, so thousands of calls share the loop fairly.
                await asyncio.sleep(real)
                passed = seconds
            else:
                try:
                    async with asyncio.timeout(real):
                        await wake.wait()
                except TimeoutError:
                    passed = seconds
                else:
                    passed = min(seconds, (loop.time() - began) / self.scale)
        finally:
            del self._waits[token]
        self.elapsed = max(self.elapsed, start + passed)
