"""`Dispatcher.run`: the long-running loop `aicall serve` and `aicall worker` start."""

from __future__ import annotations

import asyncio
import time

from aicall.webhooks.testing import HANG, Reply, WebhookReceiver
from tests.integration.support import make_tenant
from tests.integration.webhooks.helpers import configure, dispatcher, emit, event


async def test_an_event_committed_in_this_process_wakes_the_loop_without_waiting_for_a_poll(
    db, hooked, receiver
):
    stop = asyncio.Event()
    sender = dispatcher(db)
    loop_task = asyncio.create_task(sender.run(stop, idle_delay=60))
    try:
        await asyncio.to_thread(emit, db, hooked.application_id)
        await receiver.wait_for_async(1, timeout=10)  # the loop is up and idle from here on
        began = time.monotonic()
        second = await asyncio.to_thread(emit, db, hooked.application_id, "scenario.rejected")
        await receiver.wait_for_async(2, timeout=10)
        assert time.monotonic() - began < 5  # far sooner than the 60 s poll
    finally:
        stop.set()
        await asyncio.wait_for(loop_task, timeout=10)
        await sender.aclose()
    assert event(db, second).status == "delivered"  # recorded before run() returned


async def test_stopping_lets_the_deliveries_in_flight_finish_and_records_them(db, hooked, receiver):
    receiver.behaviour = Reply(200, delay=0.5)
    stop = asyncio.Event()
    async with dispatcher(db) as sender:
        loop_task = asyncio.create_task(sender.run(stop, idle_delay=0.05))
        event_id = await asyncio.to_thread(emit, db, hooked.application_id)
        await receiver.wait_for_async(1, timeout=10)
        stop.set()  # while the receiver is still thinking
        await asyncio.wait_for(loop_task, timeout=10)
    stored = event(db, event_id)
    assert (stored.status, stored.attempts) == ("delivered", 1)


async def test_a_receiver_that_hangs_holds_one_slot_not_the_whole_dispatcher(db, hooked, receiver):
    receiver.behaviour = HANG
    emit(db, hooked.application_id)  # this one will hang until the timeout
    other = make_tenant(db, "Other")
    with WebhookReceiver() as healthy:
        configure(db, other.application_id, healthy.url)
        fast_ids = {emit(db, other.application_id, "campaign.completed") for _ in range(6)}
        stop = asyncio.Event()
        async with dispatcher(db, concurrency=2, batch=50, timeout=30) as sender:
            loop_task = asyncio.create_task(sender.run(stop, idle_delay=0.05))
            try:
                received = await healthy.wait_for_async(6, timeout=10)
            finally:
                receiver.release()  # the hung request's connection closes: the loop can finish
                stop.set()
                await asyncio.wait_for(loop_task, timeout=30)
    assert {r.webhook_id for r in received} == fast_ids


async def test_events_claimed_but_not_yet_sent_are_handed_back_at_once_when_stopping(db, hooked, receiver):
    receiver.behaviour = Reply(200, delay=0.3)
    event_ids = [emit(db, hooked.application_id) for _ in range(4)]
    stop = asyncio.Event()
    async with dispatcher(db, concurrency=1, batch=4) as sender:
        loop_task = asyncio.create_task(sender.run(stop, idle_delay=0.05))
        await receiver.wait_for_async(1, timeout=10)
        stop.set()
        await asyncio.wait_for(loop_task, timeout=10)

    stored = [event(db, event_id) for event_id in event_ids]
    assert [e.status for e in stored].count("delivered") == 1
    for waiting in (e for e in stored if e.status == "pending"):
        # Due again now, not at the end of a lease, and with no attempt spent.
        assert (waiting.attempts, waiting.claimed_until, waiting.claim_token) == (0, None, None)
        assert waiting.next_attempt_at is not None and waiting.next_attempt_at <= sender.clock()
