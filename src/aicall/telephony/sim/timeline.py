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
    def __init__(self, *, start: datetime, scale: float) -> None:
        self.start = start
        self.scale = scale
        self.elapsed = 0.0  # call seconds since dialling began, up to the wait in progress
        self._waiting_since: float | None = None  # loop time a cuttable wait began
        self._waiting_for = 0.0  # its length in call seconds

    def now(self) -> datetime:
        """The call's time, the part of a wait in progress included: a hang-up from our side
        in the middle of a prompt ends the call then, not when the prompt began."""
        seconds = self.elapsed
        if self._waiting_since is not None and self.scale > 0:
            waited = (asyncio.get_running_loop().time() - self._waiting_since) / self.scale
            seconds += min(waited, self._waiting_for)
        return self.start + timedelta(seconds=seconds)

    async def sleep(self, seconds: float, *, wake: asyncio.Event | None = None) -> None:
        """Let `seconds` of call time pass; `wake` being set cuts the wait short (our hang-up)."""
        seconds = max(0.0, seconds)
        real = seconds * self.scale
        if real <= 0 or wake is None:
            # Even at scale 0 this yields, so thousands of calls share the loop fairly.
            await asyncio.sleep(real)
            self.elapsed += seconds
            return
        loop = asyncio.get_running_loop()
        began = self._waiting_since = loop.time()
        self._waiting_for = seconds
        try:
            async with asyncio.timeout(real):
                await wake.wait()
        except TimeoutError:
            self.elapsed += seconds
        else:
            self.elapsed += min(seconds, (loop.time() - began) / self.scale)
        finally:
            self._waiting_since = None
