"""When a failed delivery is tried again: exponential back-off with jitter, over about a day."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

__all__ = ["DEFAULT_SCHEDULE", "RetrySchedule"]


@dataclass(frozen=True)
class RetrySchedule:
    """`delays[n]` seconds after failed attempt n+1 comes attempt n+2; after the last delay's
    attempt fails too, the event is failed (and can be replayed). Each delay is stretched or
    shrunk by up to `jitter` (a fraction) so a receiver that comes back is not hit by every
    event that failed in the same second."""

    delays: Sequence[float]
    jitter: float = 0.2
    random: Callable[[], float] = field(default=random.random, repr=False, compare=False)

    @property
    def max_attempts(self) -> int:
        return len(self.delays) + 1

    def delay_after(self, attempt: int) -> float | None:
        """Seconds to wait after failed attempt number `attempt` (1-based); None: give up."""
        if attempt < 1 or attempt > len(self.delays):
            return None
        base = float(self.delays[attempt - 1])
        return max(0.0, base * (1 + self.jitter * (2 * self.random() - 1)))


# Roughly x4 per step up to hours, then capped: 11 attempts over ~23.7 hours.
DEFAULT_SCHEDULE = RetrySchedule(
    delays=(5, 30, 120, 600, 1800, 3600, 7200, 14400, 28800, 28800),
)
