"""The delivery loop on the in-memory store and the scripted sender: scheduling and concurrency,
without a database or a socket."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from aicall.webhooks.delivery import Job, Outcome
from aicall.webhooks.fakes import FakeSender, InMemoryOutbox
from aicall.webhooks.loop import DeliveryLoop
from aicall.webhooks.models import EventStatus
from aicall.webhooks.testing import MovableClock


async def _until(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(5):
        while not condition():
            await asyncio.sleep(0)


async def _running(loop: DeliveryLoop, idle_delay: float, body: Callable[[], Awaitable[None]]) -> None:
    """Run `loop` while `body` runs; then stop it and wait for it to return."""
    stop = asyncio.Event()
    task = asyncio.create_task(loop.run(stop, idle_delay=idle_delay))
    try:
        async with asyncio.timeout(5):
            await body()
    finally:
        stop.set()
        async with asyncio.timeout(5):
            await task


async def test_run_once_sends_every_due_event_and_records_each_result():
    store, sender = InMemoryOutbox(), FakeSender(200)
    ids = {store.add() for _ in range(3)}
    assert await DeliveryLoop(store, sender).run_once() == 3
    assert {job.event_id for job in sender.sent} == ids
    assert {e.status for e in store.events.values()} == {EventStatus.DELIVERED}
    assert [(a.succeeded, a.job.attempt) for a in store.attempts] == [(True, 1)] * 3


async def test_no_more_sends_than_the_concurrency_are_in_flight_at_once():
    store, sender = InMemoryOutbox(), FakeSender(200)
    sender.hold = lambda _job: True
    for _ in range(10):
        store.add()
    once = asyncio.create_task(DeliveryLoop(store, sender, batch=10, concurrency=3).run_once())
    await sender.wait_for(3)
    sender.release()
    assert await once == 10
    assert sender.most_in_flight == 3


async def test_a_send_that_hangs_holds_one_slot_while_the_others_go_out():
    store, sender = InMemoryOutbox(), FakeSender(200)
    sender.hold = lambda job: job.url.endswith("/slow")
    slow = store.add(url="http://receiver.test/slow")
    fast = [store.add() for _ in range(5)]

    async def body() -> None:
        await _until(lambda: all(store.events[i].status == EventStatus.DELIVERED for i in fast))
        assert store.events[slow].status == EventStatus.PENDING and sender.in_flight == 1
        sender.release()

    await _running(DeliveryLoop(store, sender, batch=50, concurrency=2), 3600, body)
    assert store.events[slow].status == EventStatus.DELIVERED


async def test_stopping_finishes_the_sends_in_flight_and_hands_back_claimed_events_at_once():
    clock = MovableClock()
    store, sender = InMemoryOutbox(clock=clock), FakeSender(200)
    sender.hold = lambda _job: True
    for _ in range(4):
        store.add()
    stop = asyncio.Event()
    task = asyncio.create_task(DeliveryLoop(store, sender, batch=4, concurrency=1).run(stop, idle_delay=3600))
    await sender.wait_for(1)
    stop.set()  # while the first send is held
    await _until(lambda: any(call[0] == "release" for call in store.calls))
    sender.release()
    async with asyncio.timeout(5):
        await task

    events = list(store.events.values())
    assert [e.status for e in events].count(EventStatus.DELIVERED) == 1
    for waiting in (e for e in events if e.status == EventStatus.PENDING):
        # Due again now, not at the end of a lease, and with no attempt spent.
        assert (waiting.attempts, waiting.claimed_until, waiting.claim_token) == (0, None, None)
        assert waiting.next_attempt_at is not None and waiting.next_attempt_at <= clock()
    assert len(sender.sent) == 1


async def test_a_new_event_wakes_an_idle_loop_without_waiting_for_the_next_poll():
    store, sender = InMemoryOutbox(), FakeSender(200)

    async def body() -> None:
        await _until(lambda: len(store.calls) >= 1)  # claimed nothing; idle for an hour from here
        event_id = store.add()
        await sender.wait_for(1)
        await _until(lambda: store.events[event_id].status == EventStatus.DELIVERED)

    await _running(DeliveryLoop(store, sender), 3600, body)


async def test_a_full_batch_is_followed_by_another_claim_at_once():
    store, sender = InMemoryOutbox(), FakeSender(200)
    for _ in range(5):
        store.add()

    async def body() -> None:
        await sender.wait_for(5)  # an hour's idle delay: only claims without waiting get here

    await _running(DeliveryLoop(store, sender, batch=2, concurrency=2), 3600, body)
    assert [call[2] for call in store.calls if call[0] == "record" and call[2]] == [2, 2, 1]


async def test_results_that_finish_together_are_written_in_one_transaction():
    store, sender = InMemoryOutbox(), FakeSender(200)
    sender.hold = lambda _job: True
    for _ in range(4):
        store.add()

    async def body() -> None:
        await sender.wait_for(4)
        sender.release()
        await _until(lambda: all(e.status == EventStatus.DELIVERED for e in store.events.values()))

    await _running(DeliveryLoop(store, sender, batch=4, concurrency=4), 3600, body)
    # (method, results recorded, events claimed): one write for the four results, not four.
    assert [call[1] for call in store.calls if call[1]] == [4]


async def test_a_store_failure_is_logged_and_the_loop_carries_on(caplog):
    store, sender = InMemoryOutbox(), FakeSender(200)
    store.failures = 1
    event_id = store.add()

    async def body() -> None:
        await _until(lambda: store.events[event_id].status == EventStatus.DELIVERED)

    await _running(DeliveryLoop(store, sender), 0.01, body)
    assert "database work failed" in caplog.text


async def test_a_failed_send_is_tried_again_after_its_back_off_then_delivered():
    clock = MovableClock()
    store, sender = InMemoryOutbox(clock=clock), FakeSender(503)
    event_id = store.add()
    loop = DeliveryLoop(store, sender)
    assert await loop.run_once() == 1
    event = store.events[event_id]
    assert (event.status, event.attempts, event.last_error) == (EventStatus.PENDING, 1, "HTTP 503")
    assert await loop.run_once() == 0  # not due before its back-off
    clock.advance(store.schedule.delays[0] * (1 + store.schedule.jitter))
    sender.answer = 204
    assert await loop.run_once() == 1
    assert (event.status, event.attempts) == (EventStatus.DELIVERED, 2)
    assert [job.event_id for job in sender.sent] == [event_id, event_id]


async def test_closing_the_loop_closes_its_sender():
    sender = FakeSender()
    async with DeliveryLoop(InMemoryOutbox(), sender):
        pass
    assert sender.closed


class _CommitDuringClaim(InMemoryOutbox):
    """Another process commits an event (and wakes the loop) while the loop's first claim is
    running, too late to be in it: the wake-up must lead to another claim."""

    arrived: str | None = None

    async def record(self, outcomes: Sequence[Outcome], *, claim: int = 0) -> list[Job]:
        jobs = await super().record(outcomes, claim=claim)
        if claim and self.arrived is None:
            self.arrived = self.add()
        return jobs


async def test_a_wake_up_during_a_claim_is_not_lost_until_the_next_poll():
    store, sender = _CommitDuringClaim(), FakeSender(200)
    store.add()

    async def body() -> None:
        await _until(lambda: store.arrived is not None and len(sender.sent) == 2)

    await _running(DeliveryLoop(store, sender), 3600, body)  # no poll within the test
    assert {job.event_id for job in sender.sent} == set(store.events)
    assert [call[2] for call in store.calls if call[0] == "record" and call[2]] == [1, 1]


async def test_results_whose_write_failed_are_written_on_the_next_pass_not_sent_again(caplog):
    store, sender = InMemoryOutbox(lease=3600), FakeSender(200)
    sender.hold = lambda _job: True
    event_id = store.add()

    async def body() -> None:
        await sender.wait_for(1)
        store.failures = 1  # the transaction that would write the result (with the next claim)
        sender.release()
        await _until(lambda: store.events[event_id].status == EventStatus.DELIVERED)

    await _running(DeliveryLoop(store, sender), 3600, body)
    assert "database work failed" in caplog.text
    assert [job.event_id for job in sender.sent] == [event_id]  # not sent again at the lease's end
    assert [(a.job.event_id, a.succeeded) for a in store.attempts] == [(event_id, True)]
    recorded = [call for call in store.calls if call[0] == "record" and call[1]]
    assert [call[1] for call in recorded] == [1]  # written once, on the pass after the failure


async def test_results_recorded_twice_are_logged_once():
    store, sender = InMemoryOutbox(), FakeSender(200)
    store.add()
    [job] = await store.claim(1)
    outcome = await sender.send(job)
    await store.record([outcome])
    await store.record([outcome])  # a retry after a commit that succeeded but seemed to fail
    assert store.attempts == [outcome]


async def test_stopping_writes_results_the_store_failed_to_write_once():
    store, sender = InMemoryOutbox(lease=3600), FakeSender(200)
    sender.hold = lambda _job: True
    event_id = store.add()
    stop = asyncio.Event()
    task = asyncio.create_task(DeliveryLoop(store, sender).run(stop, idle_delay=3600))
    await sender.wait_for(1)
    store.failures = 1
    stop.set()
    sender.release()
    async with asyncio.timeout(5):
        await task
    assert store.events[event_id].status == EventStatus.DELIVERED
    assert [(a.job.event_id, a.succeeded) for a in store.attempts] == [(event_id, True)]


async def test_stopping_gives_up_on_results_after_a_few_failed_writes(caplog):
    store, sender = InMemoryOutbox(lease=3600), FakeSender(200)
    sender.hold = lambda _job: True
    store.add()
    stop = asyncio.Event()
    task = asyncio.create_task(DeliveryLoop(store, sender).run(stop, idle_delay=3600))
    await sender.wait_for(1)
    store.failures = 100  # the database is gone for good
    stop.set()
    sender.release()
    async with asyncio.timeout(10):
        await task  # returns: the lease brings the event back to another dispatcher
    assert "1 delivery results not written" in caplog.text
    assert store.failures == 100 - 3
