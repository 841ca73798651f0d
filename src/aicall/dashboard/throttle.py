"""Login throttling: too many wrong passwords from one address, or for one email from one address.

OWASP's authentication cheat sheet asks for throttling that slows guessing without letting a
stranger lock a real user out: failures are counted per (email, client address) and per client
address, in a sliding window, in this process's memory (a restart forgets them, which only
gives an attacker a fresh window after a restart they cannot cause).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

MAX_FAILURES_PER_EMAIL = 5
MAX_FAILURES_PER_ADDRESS = 30
WINDOW_SECONDS = 15 * 60.0


class LoginThrottle:
    """`blocked_for(email, address)` -> seconds to wait (0: may try); `failed()` / `succeeded()`."""

    def __init__(
        self,
        *,
        max_per_email: int = MAX_FAILURES_PER_EMAIL,
        max_per_address: int = MAX_FAILURES_PER_ADDRESS,
        window: float = WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._limits = {"email": max_per_email, "address": max_per_address}
        self._window = window
        self._clock = clock
        self._failures: dict[tuple[str, ...], deque[float]] = {}

    def blocked_for(self, email: str, address: str) -> float:
        """Seconds until another attempt is allowed (0.0 when allowed now)."""
        now = self._clock()
        wait = 0.0
        for key, limit in (
            (("email", email.lower(), address), self._limits["email"]),
            (("address", address), self._limits["address"]),
        ):
            times = self._recent(key, now)
            if len(times) >= limit:
                wait = max(wait, times[0] + self._window - now)
        return wait

    def failed(self, email: str, address: str) -> None:
        """Count one wrong password."""
        now = self._clock()
        for key in (("email", email.lower(), address), ("address", address)):
            self._recent(key, now).append(now)

    def succeeded(self, email: str, address: str) -> None:
        """A right password clears that email's count from that address."""
        self._failures.pop(("email", email.lower(), address), None)

    def _recent(self, key: tuple[str, ...], now: float) -> deque[float]:
        times = self._failures.setdefault(key, deque())
        while times and times[0] <= now - self._window:
            times.popleft()
        if len(self._failures) > 100_000:  # bound memory under a spray of addresses
            self._failures = {k: v for k, v in self._failures.items() if v}
        return times
