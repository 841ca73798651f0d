"""Wake-ups from other processes: PostgreSQL `LISTEN`/`NOTIFY` on one dedicated connection.

A process that commits webhook events notifies `CHANNEL` in the same transaction
(`outbox.wake_after_commit`; PostgreSQL delivers a notification only when its transaction
commits, and never one of a transaction that rolled back). `PgListener` holds a connection of
its own (not one of the pool's: it stays idle in `LISTEN` for the life of the process) and calls
`wake` on every notification, so a dispatcher in another process claims at once instead of at
its next poll. Polling stays: it is the safety net while this connection is down, and the only
way on SQLite. Docs: https://www.postgresql.org/docs/current/sql-notify.html
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import psycopg
from sqlalchemy.engine import URL

__all__ = ["CHANNEL", "PgListener", "conninfo"]

log = logging.getLogger("aicall.webhooks")

CHANNEL = "aicall_webhooks"  # the payload is empty: a wake-up says "look", the outbox says what
APPLICATION_NAME = "aicall-webhooks-listen"  # how the connection shows in pg_stat_activity


def conninfo(url: URL) -> str:
    """The libpq connection string of an SQLAlchemy PostgreSQL URL (any `+driver` dropped; query
    parameters such as `sslmode` kept)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


class PgListener:
    """Calls `wake()` for every notification on `CHANNEL`, until cancelled.

    `retry`: seconds before the first reconnection after the connection failed or dropped
    (a PostgreSQL restart, `pg_terminate_backend`), doubled on each failure up to `max_retry`.
    `heartbeat`: seconds without a notification after which the connection is checked with a
    query (answer within `heartbeat` seconds, or it is dropped and made again): a peer gone
    without a word (a cut network) is found, besides by TCP keepalives. `wake` is also called
    after each (re)connection, for the events committed while nobody listened.

    `connections` counts the connections made that reached `LISTEN`, `notifications` the
    notifications received; `backend_pid` is the server process of the current connection
    (None while down): tests and benchmarks read them."""

    def __init__(
        self,
        dsn: str,
        wake: Callable[[], None],
        *,
        retry: float = 0.5,
        max_retry: float = 10.0,
        heartbeat: float = 30.0,
        connect_timeout: float = 10.0,
    ) -> None:
        if retry <= 0 or max_retry < retry or heartbeat <= 0 or connect_timeout <= 0:
            raise ValueError("retry, heartbeat and connect_timeout must be positive, max_retry >= retry")
        self.dsn = dsn
        self.wake = wake
        self.retry = retry
        self.max_retry = max_retry
        self.heartbeat = heartbeat
        self.connect_timeout = connect_timeout
        self.connections = 0
        self.notifications = 0
        self.backend_pid: int | None = None
        self.listening = asyncio.Event()  # set while LISTEN is in force

    async def run(self) -> None:
        """Listen until cancelled, reconnecting by itself; never raises otherwise."""
        delay = self.retry
        down_logged = False
        while True:
            try:
                async with await self._connect() as conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    self.connections += 1
                    self.backend_pid = conn.info.backend_pid
                    self.listening.set()
                    if down_logged:
                        log.warning("webhook wake-ups (LISTEN %s) are back", CHANNEL)
                    down_logged = False
                    delay = self.retry
                    self.wake()  # what was committed while we were not listening
                    await self._relay(conn)
            except (psycopg.Error, OSError, TimeoutError) as exc:
                if not down_logged:
                    # Once per outage: the dispatcher goes on polling meanwhile.
                    log.warning(
                        "webhook wake-ups (LISTEN %s) lost: %s; polling until they are back",
                        CHANNEL,
                        str(exc).strip() or type(exc).__name__,
                    )
                    down_logged = True
            except Exception:  # a bug here must not end the wake-ups for the life of the process
                log.exception("webhook wake-ups (LISTEN %s) failed; starting again", CHANNEL)
                down_logged = True
            finally:
                self.listening.clear()
                self.backend_pid = None
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.max_retry)

    async def _connect(self) -> psycopg.AsyncConnection[tuple[object, ...]]:
        return await psycopg.AsyncConnection.connect(
            self.dsn,
            autocommit=True,  # LISTEN takes effect at once, and the connection never idles in a transaction
            application_name=APPLICATION_NAME,
            connect_timeout=max(1, round(self.connect_timeout)),
            # A server that vanished without closing the socket is found in about 20 s.
            keepalives=1,
            keepalives_idle=10,
            keepalives_interval=5,
            keepalives_count=2,
        )

    async def _relay(self, conn: psycopg.AsyncConnection[tuple[object, ...]]) -> None:
        """Wake for each notification; after `heartbeat` quiet seconds, prove the connection
        is alive. Returns never; raises when the connection fails."""
        while True:
            async for _notification in conn.notifies(timeout=self.heartbeat):
                self.notifications += 1
                self.wake()
            await asyncio.wait_for(conn.execute("SELECT 1"), self.heartbeat)
