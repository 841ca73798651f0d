"""A graceful stop in two steps, as `aicall serve` and `aicall worker` take SIGINT and SIGTERM.

The first signal stops claiming and gives the calls in progress `grace` seconds to end by
themselves; their results are stored and their webhooks sent as usual. The second signal (a
second Ctrl-C) ends the grace at once. Calls still live when the grace ends are hung up and
recorded with the end reason `shutdown` (docs/reliability.md), never by the crash rule.
"""

from __future__ import annotations

import asyncio
import contextlib

from aicall.observability.logging import get_logger

__all__ = ["Shutdown"]

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
