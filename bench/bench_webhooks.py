"""Webhook deliveries per second through the dispatcher, beside plain httpx POSTs of the same
signed bodies to the same receiver in the same run; and the latency from an event's commit to
its receipt, p50 and p99.

The receiver is a real HTTP/1.1 server (aicall.webhooks.testing) in a process of its own, so it
does not share the dispatcher's GIL. The plain POSTs are the floor this machine, httpx and the
receiver can do at all; the ratio says what the outbox costs on top (claim, sign, record).

Latency is measured twice: events committed in the dispatcher's own process (they wake it at
once, as in `aicall serve`) and as if committed by another process (no wake-up: the dispatcher
finds them on its next poll, every `idle_delay`).

    .venv/bin/python bench/bench_webhooks.py [--db sqlite|postgresql|both] [--quick]
        [--events N] [--concurrency C] [--runs R] [--rate R] [--idle-delay S]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select, update
from standardwebhooks import Webhook

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # the path entry above makes bench/ importable
    BACKENDS,
    SECRET_KEY,
    machine_note,
    median,
    new_tenant,
    percentile,
    print_table,
    temp_database,
)

from aicall.accounts.models import Application
from aicall.accounts.secrets_box import SecretBox
from aicall.db.engine import Database
from aicall.webhooks import outbox, signing
from aicall.webhooks.dispatcher import Dispatcher
from aicall.webhooks.models import WebhookEvent
from aicall.webhooks.testing import WebhookReceiver

BOX = SecretBox(SECRET_KEY)
# A typical call.attempt.finished: about 1.3 KB on the wire.
DATA = json.loads(
    (Path(__file__).resolve().parents[1] / "docs/webhooks/examples/call.attempt.finished.json").read_text()
)["data"]


# --- the receiver, in its own process ----------------------------------------------------------


def _receiver_main(conn: Connection) -> None:
    with WebhookReceiver() as receiver:
        conn.send(receiver.url)
        while True:
            command = conn.recv()
            if command == "count":
                conn.send(len(receiver._received))  # no copy: polled while the run goes on
            elif command == "collect":
                conn.send([(r.webhook_id, r.at) for r in receiver.received])
            elif command == "reset":
                with receiver._condition:  # the fake's own lock; a bench may reach in
                    receiver._received.clear()
                conn.send(True)
            else:
                return


class RemoteReceiver:
    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_receiver_main, args=(child,), daemon=True)
        self._process.start()
        self.url: str = self._conn.recv()

    def collect(self) -> dict[str, float]:
        self._conn.send("collect")
        return dict(self._conn.recv())

    def count(self) -> int:
        self._conn.send("count")
        return int(self._conn.recv())

    def reset(self) -> None:
        self._conn.send("reset")
        self._conn.recv()

    def close(self) -> None:
        self._conn.send("stop")
        self._process.join(10)


# --- the measurements --------------------------------------------------------------------------


def _data() -> dict[str, object]:
    """The example's data for a contact of its own: a contact's events go out one at a time, in
    order (docs/webhooks.md), so events of one contact would measure that, not the outbox."""
    return {**DATA, "contact_id": str(uuid.uuid4())}


def _emit(db: Database, application_id: str, count: int) -> list[tuple[str, float]]:
    """`count` events, each committed on its own; (event id, commit time) of each."""
    done = []
    for _ in range(count):
        with db.transaction() as session:
            event_id = outbox.emit(
                session, application_id=application_id, event_type="call.attempt.finished", payload=_data()
            )
        done.append((str(event_id), time.time()))
    return done


def _emit_bulk(db: Database, application_id: str, count: int) -> None:
    with db.transaction() as session:
        for _ in range(count):
            outbox.emit(
                session, application_id=application_id, event_type="call.attempt.finished", payload=_data()
            )


async def plain_posts(db: Database, application_id: str, url: str, count: int, concurrency: int) -> float:
    """Deliveries per second of httpx alone: the same signed bodies, no database."""
    with db.reading() as session:
        sealed = session.scalar(
            select(Application.webhook_secret_encrypted).where(Application.id == application_id)
        )
        events = list(session.scalars(select(WebhookEvent).limit(count)))
    signer = Webhook(BOX.open(str(sealed)))
    bodies = [(e.id, outbox.render_body(e.type, e.created_at, e.payload)) for e in events]
    queue: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
    for item in bodies:
        queue.put_nowait(item)
    async with httpx.AsyncClient(
        trust_env=False, timeout=10, limits=httpx.Limits(max_connections=concurrency)
    ) as client:

        async def worker() -> None:
            while not queue.empty():
                event_id, body = queue.get_nowait()
                headers = signing.signed_headers(
                    signer, event_id=event_id, timestamp=datetime.now(UTC), body=body
                )
                response = await client.post(url, content=body.encode(), headers=headers)
                assert response.status_code == 200

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return len(bodies) / (time.perf_counter() - began)


async def through_dispatcher(db: Database, count: int, concurrency: int, receiver: RemoteReceiver) -> float:
    """Deliveries per second of `Dispatcher.run` draining `count` due events, all recorded."""
    stop = asyncio.Event()
    async with Dispatcher(db, BOX, allow_private=True, concurrency=concurrency) as dispatcher:
        began = time.perf_counter()
        task = asyncio.create_task(dispatcher.run(stop, idle_delay=0.05))
        while await asyncio.to_thread(receiver.count) < count:  # noqa: ASYNC110 - another process's count
            await asyncio.sleep(0.01)
        stop.set()
        await task  # returns once the last results are recorded
        elapsed = time.perf_counter() - began
    with db.reading() as session:
        pending = session.scalars(select(WebhookEvent.id).where(WebhookEvent.status != "delivered")).first()
    assert pending is None, "an event was not delivered"
    return count / elapsed


@contextmanager
def _no_wakeups() -> Iterator[None]:
    """As if the events were committed by another process: nothing wakes the dispatcher."""
    original = outbox.wake_after_commit
    outbox.wake_after_commit = lambda session: None  # type: ignore[assignment]
    try:
        yield
    finally:
        outbox.wake_after_commit = original  # type: ignore[assignment]


async def latency(
    db: Database,
    application_id: str,
    receiver: RemoteReceiver,
    count: int,
    rate: float,
    idle_delay: float,
    wake: bool,
) -> list[float]:
    """Milliseconds from each event's commit to its receipt, events emitted at `rate` per second."""
    stop = asyncio.Event()
    committed: list[tuple[str, float]] = []

    def emitter() -> None:
        for _ in range(count):
            committed.extend(_emit(db, application_id, 1))
            time.sleep(1 / rate)

    async with Dispatcher(db, BOX, allow_private=True) as dispatcher:
        task = asyncio.create_task(dispatcher.run(stop, idle_delay=idle_delay))
        with _no_wakeups() if not wake else _nullcontext():
            thread = threading.Thread(target=emitter)
            thread.start()
            await asyncio.to_thread(thread.join)
            while await asyncio.to_thread(receiver.count) < count:  # noqa: ASYNC110 - another process's count
                await asyncio.sleep(0.05)
        stop.set()
        await task
    received = await asyncio.to_thread(receiver.collect)
    return [(received[event_id] - at) * 1000 for event_id, at in committed]


@contextmanager
def _nullcontext() -> Iterator[None]:
    yield


def _clear(db: Database) -> None:
    with db.transaction() as session:
        session.execute(WebhookEvent.__table__.delete())  # deliveries go with them (cascade)


def bench_backend(backend: str, args: argparse.Namespace, receiver: RemoteReceiver) -> list[list[object]]:
    rows: list[list[object]] = []
    with temp_database(backend) as db:
        tenant = new_tenant(db)
        with db.transaction() as session:
            session.execute(
                update(Application)
                .where(Application.id == tenant.application_id)
                .values(webhook_url=receiver.url)
            )
        plain_rates, dispatcher_rates = [], []
        for _ in range(args.runs):
            _clear(db)
            receiver.reset()
            _emit_bulk(db, tenant.application_id, args.events)
            plain_rates.append(
                asyncio.run(
                    plain_posts(db, tenant.application_id, receiver.url, args.events, args.concurrency)
                )
            )
            receiver.reset()
            dispatcher_rates.append(
                asyncio.run(through_dispatcher(db, args.events, args.concurrency, receiver))
            )
        plain, through = median(plain_rates), median(dispatcher_rates)
        rows.append([backend, "plain httpx POSTs /s", f"{plain:,.0f}", ""])
        rows.append([backend, "dispatcher deliveries /s", f"{through:,.0f}", f"{through / plain:.2f}x plain"])

        for wake, label in (
            (True, "same process (woken at commit)"),
            (False, f"other process (poll {args.idle_delay:g} s)"),
        ):
            _clear(db)
            receiver.reset()
            millis = asyncio.run(
                latency(
                    db, tenant.application_id, receiver, args.latency_events, args.rate, args.idle_delay, wake
                )
            )
            rows.append(
                [backend, f"commit→receipt, {label}", f"p50 {percentile(millis, 0.5):.1f} ms",
                 f"p99 {percentile(millis, 0.99):.1f} ms"]
            )  # fmt: skip
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=(*BACKENDS, "both"), default="both")
    parser.add_argument("--quick", action="store_true", help="fewer events and runs")
    parser.add_argument("--events", type=int, default=2000, help="events per throughput run")
    parser.add_argument("--concurrency", type=int, default=16, help="deliveries in flight (both sides)")
    parser.add_argument("--runs", type=int, default=3, help="throughput runs; the median is shown")
    parser.add_argument("--latency-events", type=int, default=300)
    parser.add_argument("--rate", type=float, default=50.0, help="events per second in the latency run")
    parser.add_argument("--idle-delay", type=float, default=0.5, help="the dispatcher's poll interval")
    args = parser.parse_args()
    if args.quick:
        args.events, args.runs, args.latency_events = 500, 1, 100
    backends = BACKENDS if args.db == "both" else (args.db,)

    receiver = RemoteReceiver()
    try:
        rows: list[list[Any]] = []
        for backend in backends:
            rows.extend(bench_backend(backend, args, receiver))
    finally:
        receiver.close()
    machine = machine_note().split("; server =")[0]  # the shared note describes the HTTP benches' setup
    print(f"{machine}; receiver = aicall.webhooks.testing.WebhookReceiver (h11) in another process")
    print(
        f"{args.events} events x {args.runs} runs, concurrency {args.concurrency}; latency: "
        f"{args.latency_events} events at {args.rate:g}/s, each committed on its own\n"
    )
    print_table(["db", "measure", "value", "vs"], rows)


if __name__ == "__main__":
    main()
