"""Several dispatchers on one outbox: each event goes out once (SKIP LOCKED / write lock)."""

from __future__ import annotations

import asyncio
import threading
import uuid

import pytest
from sqlalchemy import select

from aicall.db.engine import Database
from aicall.webhooks.models import WebhookDelivery, WebhookEvent
from aicall.webhooks.testing import Reply
from tests.integration.webhooks.helpers import dispatcher, emit_contact_events


def _emit_many(db: Database, application_id: str, count: int) -> list[str]:
    """`count` events of as many contacts (a contact's own events go out one at a time)."""
    return emit_contact_events(db, application_id, [str(uuid.uuid4()) for _ in range(count)])


async def test_two_dispatchers_never_deliver_the_same_event_twice(db, hooked, receiver):
    receiver.behaviour = Reply(200, delay=0.005)  # keep claims of the two overlapping
    event_ids = _emit_many(db, hooked.application_id, 200)
    first, second = Database(db.url), Database(db.url)  # separate pools, as two processes have
    try:
        async with (
            dispatcher(first, batch=10, concurrency=5) as one,
            dispatcher(second, batch=10, concurrency=5) as two,
        ):

            async def drain(sender) -> int:
                sent = 0
                while n := await sender.run_once():
                    sent += n
                return sent

            counts = await asyncio.gather(drain(one), drain(two))
    finally:
        first.dispose()
        second.dispose()

    assert sum(counts) == 200 and min(counts) > 0  # both worked, neither duplicated
    ids = [request.webhook_id for request in receiver.received]
    assert len(ids) == len(set(ids)) == 200 and set(ids) == set(event_ids)
    with db.reading() as session:
        assert set(session.scalars(select(WebhookEvent.status))) == {"delivered"}
        assert len(list(session.scalars(select(WebhookDelivery.id)))) == 200


async def test_a_claim_on_postgresql_skips_events_another_worker_has_locked(db, hooked):
    if db.dialect != "postgresql":
        pytest.skip("SKIP LOCKED is PostgreSQL's; SQLite serialises claims with its write lock")
    locked, free = _emit_many(db, hooked.application_id, 2)
    holding, release = threading.Event(), threading.Event()

    def hold_lock() -> None:
        with db.transaction() as session:
            session.execute(select(WebhookEvent).where(WebhookEvent.id == locked).with_for_update())
            holding.set()
            release.wait(10)

    holder = threading.Thread(target=hold_lock)
    holder.start()
    try:
        assert holding.wait(10)
        sender = dispatcher(db)
        # Without SKIP LOCKED this would wait for the other transaction; it must not.
        jobs = await asyncio.wait_for(sender.store.claim(10), timeout=5)
        assert [job.event_id for job in jobs] == [free]
    finally:
        release.set()
        holder.join()


async def test_a_claim_on_postgresql_does_not_wait_for_a_follow_up_another_transaction_has_locked(db, hooked):
    if db.dialect != "postgresql":
        pytest.skip("SKIP LOCKED is PostgreSQL's; SQLite serialises claims with its write lock")
    head, second, third = emit_contact_events(db, hooked.application_id, ["c1", "c1", "c1"])
    holding, release = threading.Event(), threading.Event()

    def hold_lock() -> None:  # a late or stuck transaction holding the contact's third event
        with db.transaction() as session:
            session.execute(select(WebhookEvent).where(WebhookEvent.id == third).with_for_update())
            holding.set()
            release.wait(10)

    holder = threading.Thread(target=hold_lock)
    holder.start()
    try:
        assert holding.wait(10)
        # Waiting for the other transaction would hold this claim (and its lease) up; the
        # chain stops before the locked event instead, which waits for a claim of its own.
        [job] = await asyncio.wait_for(dispatcher(db).store.claim(10), timeout=5)
        assert (job.event_id, [f.event_id for f in job.follow_ups]) == (head, [second])
    finally:
        release.set()
        holder.join()
