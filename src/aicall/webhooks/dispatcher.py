"""The dispatcher: the delivery loop on the database's outbox, sending over HTTP.

`aicall serve` and `aicall worker` run one. The parts: `store.SqlOutboxStore` (claims, results,
leases: the crash safety), `sender.HttpSender` (signing, the POST, what counts as delivered) and
`loop.DeliveryLoop` (scheduling and concurrency); `delivery` holds the seams between them.
"""

from __future__ import annotations

import math

import httpx

from aicall.accounts.secrets_box import SecretBox
from aicall.clock import Clock, utc_now
from aicall.db.engine import Database
from aicall.webhooks.loop import DeliveryLoop
from aicall.webhooks.schedule import DEFAULT_SCHEDULE, RetrySchedule
from aicall.webhooks.sender import HttpSender
from aicall.webhooks.store import SqlOutboxStore

__all__ = ["Dispatcher"]


class Dispatcher(DeliveryLoop):
    """A `DeliveryLoop` over `SqlOutboxStore` and `HttpSender`, configured in one place."""

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
    ) -> None:
        """`timeout`: seconds a receiver has to answer, all in. `lease`: seconds a claim lasts;
        by default long enough for a whole batch at `concurrency`, plus a margin. `client`: an
        httpx client to send with (left open); by default one is made and closed by `aclose()`.
        Raises ValueError when batch or concurrency is below 1 or timeout is not positive."""
        if batch < 1 or concurrency < 1 or timeout <= 0:
            raise ValueError("batch and concurrency must be at least 1, timeout positive")
        if lease is None:
            lease = timeout * (math.ceil(batch / concurrency) + 1) + 30
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
