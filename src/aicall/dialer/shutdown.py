"""A graceful stop in two steps, as `aicall serve` and `aicall worker` take SIGINT and SIGTERM.

The first signal stops claiming and gives the calls in progress `grace` seconds to end by
themselves; their results are stored and their webhooks sent as usual. The second signal (a
second Ctrl-C) ends the grace at once. Calls still live when the grace ends are hung up and
recorded with the end reason `shutdown` (docs/reliability.md), never by the crash rule.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from aicall.observability.logging import get_logger

__all__ = ["HangUp", "Shutdown"]

log = get_logger("aicall.engine")


class Shutdown:
    """The signals a process received and the grace they grant (seconds, `AICALL_SHUTDOWN_GRACE`).

    `requested` is set by the first signal, `cut_short` by any later one. Signal handlers that
    run outside the event loop (uvicorn installs `signal.signal` ones) call `signal_threadsafe`."""

    def __init__(self, grace: float) -> None:
        self.grace = max(0.0, grace)
        self.requested = asyncio.Event()
        self.cut_short = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        """The loop whose waiters `signal_threadsafe` wakes (the one the engine runs on)."""
        self._loop = loop

    def signal(self) -> None:
        """One SIGINT/SIGTERM: the first starts the grace, the next ends it."""
        if self.requested.is_set():
            if not self.cut_short.is_set():
                log.warning("second signal: the grace is cut short; live calls are hung up now")
            self.cut_short.set()
            return
        log.info("stopping: no new calls; calls in progress may finish", grace_seconds=self.grace)
        self.requested.set()

    def signal_threadsafe(self) -> None:
        """`signal` from a plain signal handler: scheduled on the attached loop, which may be
        in the middle of anything when the handler interrupts it."""
        loop = self._loop
        if loop is None or loop.is_closed():
            self.signal()  # no loop yet: nothing waits on the events
            return
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            loop.call_soon_threadsafe(self.signal)


class HangUp:
    """Set once when a shutdown's grace is over: every live call hangs up (BYE) and every
    ringing dial is abandoned (CANCEL) at once.

    Each call subscribes a callback for as long as it can be cut, instead of waiting in a task
    of its own on an `asyncio.Event` (a task and an `asyncio.wait` per call, per stage, were
    about a twentieth of a dialer's time on the simulator: docs/benchmarks.md, issue 13).
    Use from the event loop's thread only."""

    def __init__(self) -> None:
        self._set = False
        self._subscribers: dict[int, Callable[[], None]] = {}
        self._next = 0

    def is_set(self) -> bool:
        return self._set

    def set(self) -> None:
        """Hang up: every subscriber is called once, now; later subscribers at once."""
        if self._set:
            return
        self._set = True
        subscribers, self._subscribers = list(self._subscribers.values()), {}
        for callback in subscribers:
            callback()

    def subscribe(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call `callback` when the signal is set (now, if it is); returns the unsubscribe."""
        if self._set:
            callback()
            return _nothing
        key = self._next
        self._next += 1
        self._subscribers[key] = callback
        return lambda: self._subscribers.pop(key, None) and None


def _nothing() -> None:
    return None
