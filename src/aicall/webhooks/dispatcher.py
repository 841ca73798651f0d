"""The dispatcher: the delivery loop on the database's outbox, sending over HTTP.

`aicall serve` and `aicall worker` run one. The parts: `store.SqlOutboxStore` (claims, results,
leases: the crash safety), `sender.HttpSender` (signing, the POST, what counts as delivered) and
`loop.DeliveryLoop` (scheduling and concurrency); `delivery` holds the seams between them.
On PostgreSQL it also listens for other processes' commits (`listener.PgListener`).
"""

from __future__ import annotations

import asyncio
import math

import httpx

from aicall.accounts.secrets_box import SecretBox
from aicall.clock import Clock, utc_now
from aicall.db.engine import Database
from aicall.webhooks import outbox
from aicall.webhooks.listener import PgListener, conninfo
from aicall.webhooks.loop import DeliveryLoop
from aicall.webhooks.schedule import DEFAULT_SCHEDULE, RetrySchedule
from aicall.webhooks.sender import HttpSender
from aicall.webhooks.store import MAX_FOLLOW_UPS, SqlOutboxStore

__all__ = ["Dispatcher"]


class Dispatcher(DeliveryLoop):
    """A `DeliveryLoop` over `SqlOutboxStore` and `HttpSender`, configured in one place.

    On PostgreSQL with `listen` (the default; `AICALL_PG_NOTIFY=0` turns it off), `run` holds
    one more connection, in `LISTEN`, and wakes at once on other processes' commits of events
    (`listener`): `listener` is that `PgListener`, None on SQLite or with `listen=False`."""

    def __init__(
        self,
        db: Database,
        box: SecretBox,
        *,
        allow_private: bool,
        clock: Clock = utc_now,
        client: httpx.AsyncClient | None = None,
        timeout: float = 10.0,
        batch: int = 50,
        concurrency: int = 16,
        schedule: RetrySchedule = DEFAULT_SCHEDULE,
        lease: float | None = None,
        listen: bool = True,
    ) -> None:
        """`timeout`: seconds a receiver has to answer, all in. `lease`: seconds a claim lasts;
        by default long enough for a whole batch at `concurrency` and a chain of follow-ups,
        plus a margin. `client`: an
        httpx client to send with (left open); by default one is made and closed by `aclose()`.
        `listen`: on PostgreSQL, wake on NOTIFY from other processes (polling stays the safety net).
        Raises ValueError when batch or concurrency is below 1 or timeout is not positive."""
        if batch < 1 or concurrency < 1 or timeout <= 0:
            raise ValueError("batch and concurrency must be at least 1, timeout positive")
        if lease is None:
            # A batch's sends spread over the slots, plus the longest chain (a job and its
            # follow-ups, sent one after another in one slot), plus a margin.
            lease = timeout * (math.ceil(batch / concurrency) + 1 + MAX_FOLLOW_UPS) + 30
        self.clock = clock
        super().__init__(
            SqlOutboxStore(db, box, lease=lease, clock=clock, schedule=schedule),
            HttpSender(
                allow_private=allow_private,
                clock=clock,
                timeout=timeout,
                connections=concurrency,
                client=client,
            ),
            batch=batch,
            concurrency=concurrency,
        )
        self.listener = (
            PgListener(conninfo(db.engine.url), outbox.wake_local)
            if listen and db.dialect == "postgresql"
            else None
        )

    async def run(self, stop: asyncio.Event, idle_delay: float = 0.5) -> None:
        """`DeliveryLoop.run`, with the LISTEN connection open for as long as it runs."""
        if self.listener is None:
            await super().run(stop, idle_delay)
            return
        # A notification wakes every dispatcher of this process, as a commit here does.
        listening = asyncio.create_task(self.listener.run(), name="webhooks-listen")
        try:
            await super().run(stop, idle_delay)
        finally:
            listening.cancel()
            await asyncio.wait({listening})  # the connection is closed before run() returns
