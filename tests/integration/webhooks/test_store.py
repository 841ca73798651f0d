"""`SqlOutboxStore` on SQLite and PostgreSQL: claims are leases, results move events on only
while their claim stands, released claims are due again at once. No HTTP: outcomes are made here."""

from __future__ import annotations

from datetime import datetime, timedelta

from aicall.clock import utc_now
from aicall.db.engine import Database
from aicall.webhooks.delivery import LEASE_EXPIRED, Job, Outcome
from aicall.webhooks.fakes import FakeSender
from aicall.webhooks.loop import DeliveryLoop
from aicall.webhooks.store import SqlOutboxStore
from tests.integration.webhooks.helpers import (
    BOX,
    FAST,
    deliveries,
    emit,
    emit_contact_events,
    event,
)

LEASE = 60.0


class Clock:
    """A clock that stands still until moved, so stored times can be compared exactly."""

    def __init__(self) -> None:
        self.now = utc_now() + timedelta(seconds=1)  # after every event emitted so far

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def _store(db: Database, clock: Clock) -> SqlOutboxStore:
    return SqlOutboxStore(db, BOX, lease=LEASE, clock=clock, schedule=FAST)


def _outcome(job: Job, at: datetime, status: int) -> Outcome:
    ok = 200 <= status < 300
    return Outcome(job, at, ok, status, 12, None if ok else f"HTTP {status}", "ok" if ok else "down")


async def test_a_claim_leases_due_events_oldest_first_and_spends_an_attempt(db, hooked):
    ids = [emit(db, hooked.application_id) for _ in range(3)]
    clock = Clock()
    jobs = await _store(db, clock).claim(2)

    assert [job.event_id for job in jobs] == ids[:2]
    assert {job.attempt for job in jobs} == {1} and len({job.claim_token for job in jobs}) == 1
    lease_end = clock.now + timedelta(seconds=LEASE)
    for job in jobs:
        leased = event(db, job.event_id)
        assert (leased.attempts, leased.claim_token) == (1, job.claim_token)
        assert leased.claimed_until == leased.next_attempt_at == lease_end
    untouched = event(db, ids[2])
    assert (untouched.attempts, untouched.claim_token) == (0, None)


async def test_a_leased_event_is_claimed_again_only_when_its_lease_has_run_out(db, hooked):
    event_id = emit(db, hooked.application_id)
    clock = Clock()
    store = _store(db, clock)
    [first] = await store.claim(10)
    assert await store.claim(10) == []

    clock.advance(LEASE + 1)
    [second] = await store.claim(10)
    assert (second.event_id, second.attempt) == (event_id, 2)
    assert second.claim_token != first.claim_token
    [lost] = deliveries(db, event_id)  # the first attempt's sender never answered
    assert (lost.attempt, lost.succeeded, lost.error) == (1, False, LEASE_EXPIRED)


async def test_recording_a_success_delivers_the_event_and_logs_the_attempt(db, hooked):
    event_id = emit(db, hooked.application_id)
    clock = Clock()
    store = _store(db, clock)
    [job] = await store.claim(10)
    started = clock.now
    clock.advance(2)
    assert await store.record([_outcome(job, started, 204)]) == []

    stored = event(db, event_id)
    assert (stored.status, stored.delivered_at, stored.last_status_code) == ("delivered", clock.now, 204)
    assert (stored.next_attempt_at, stored.claimed_until, stored.claim_token) == (None, None, None)
    [attempt] = deliveries(db, event_id)
    assert (attempt.attempt, attempt.succeeded, attempt.status_code, attempt.latency_ms) == (1, True, 204, 12)
    assert (attempt.created_at, attempt.url, attempt.response_body) == (started, hooked.receiver.url, "ok")


async def test_outcomes_recorded_again_are_logged_once_and_change_nothing_more(db, hooked):
    # A dispatcher that cannot tell whether its commit went through records the same outcomes
    # again (loop.py keeps them until written): one log entry each, the event delivered once.
    first, second = emit_contact_events(db, hooked.application_id, ["c1", "c1"])
    clock = Clock()
    store = _store(db, clock)
    [job] = await store.claim(10)
    assert [each.event_id for each in job.follow_ups] == [second]
    delivered = _outcome(job, clock.now, 204)  # the follow-up not sent: handed back
    await store.record([delivered])
    clock.advance(2)
    [again] = await store.claim(10)  # the follow-up, claimed on its own
    assert again.event_id == second
    await store.record([delivered])

    assert [(d.attempt, d.succeeded) for d in deliveries(db, first)] == [(1, True)]
    stored = event(db, first)
    assert (stored.status, stored.delivered_at) == ("delivered", clock.now - timedelta(seconds=2))
    claimed = event(db, second)  # the second record handed back nothing: the new claim stands
    assert (claimed.claim_token, claimed.attempts) == (again.claim_token, 1)


async def test_recording_a_failure_makes_the_event_due_after_its_back_off_until_the_last_attempt(db, hooked):
    event_id = emit(db, hooked.application_id)
    clock = Clock()
    store = _store(db, clock)
    for attempt in range(1, FAST.max_attempts + 1):
        [job] = await store.claim(10)
        assert job.attempt == attempt
        await store.record([_outcome(job, clock.now, 500)])
        stored = event(db, event_id)
        if attempt < FAST.max_attempts:
            assert (stored.status, stored.last_error) == ("pending", "HTTP 500")
            assert stored.next_attempt_at == clock.now + timedelta(seconds=FAST.delays[attempt - 1])
            assert await store.claim(10) == []  # not before its back-off
            clock.advance(FAST.delays[attempt - 1])

    assert (stored.status, stored.attempts, stored.next_attempt_at) == ("failed", FAST.max_attempts, None)
    assert [d.attempt for d in deliveries(db, event_id)] == [1, 2, 3]


async def test_a_result_recorded_after_its_claim_lapsed_is_logged_but_leaves_the_event_alone(db, hooked):
    event_id = emit(db, hooked.application_id)
    clock = Clock()
    store = _store(db, clock)
    [late] = await store.claim(10)
    clock.advance(LEASE + 1)
    [current] = await store.claim(10)
    await store.record([_outcome(late, clock.now, 200)])

    stored = event(db, event_id)
    assert (stored.status, stored.claim_token) == ("pending", current.claim_token)
    assert [(d.attempt, d.succeeded) for d in deliveries(db, event_id)] == [(1, False), (1, True)]


async def test_recording_and_claiming_happen_in_one_call(db, hooked):
    first = emit(db, hooked.application_id)
    clock = Clock()
    store = _store(db, clock)
    [job] = await store.claim(10)
    second = emit(db, hooked.application_id)
    clock.advance(1)
    [next_job] = await store.record([_outcome(job, clock.now, 200)], claim=10)
    assert next_job.event_id == second
    assert event(db, first).status == "delivered"


async def test_releasing_hands_unstarted_events_back_due_at_once_with_no_attempt_spent(db, hooked):
    sent_id, unsent_id = emit(db, hooked.application_id), emit(db, hooked.application_id)
    clock = Clock()
    store = _store(db, clock)
    sent, unsent = await store.claim(10)
    clock.advance(1)
    await store.release([_outcome(sent, clock.now, 200)], [unsent])

    assert event(db, sent_id).status == "delivered"
    handed_back = event(db, unsent_id)
    assert (handed_back.status, handed_back.attempts, handed_back.next_attempt_at) == (
        "pending",
        0,
        clock.now,
    )
    assert (handed_back.claimed_until, handed_back.claim_token) == (None, None)
    assert deliveries(db, unsent_id) == []
    [again] = await store.claim(10)
    assert (again.event_id, again.attempt) == (unsent_id, 1)


async def test_listeners_are_woken_by_commits_of_new_events_until_they_stop_listening(db, hooked):
    woken: list[int] = []
    stop_listening = _store(db, Clock()).listen(lambda: woken.append(1))
    emit(db, hooked.application_id)
    assert woken == [1]
    stop_listening()
    emit(db, hooked.application_id)
    assert woken == [1]


def _emit_for_contact(db: Database, application_id: str, contact_id: str, count: int) -> list[str]:
    """`count` events of one contact, committed together; their ids in order."""
    return emit_contact_events(db, application_id, [contact_id] * count)


async def test_a_contacts_later_events_are_claimed_with_its_first_as_follow_ups_in_order(db, hooked):
    chain = _emit_for_contact(db, hooked.application_id, "contact-a", 3)
    other = _emit_for_contact(db, hooked.application_id, "contact-b", 1)
    clock = Clock()
    jobs = await _store(db, clock).claim(10)

    by_id = {job.event_id: job for job in jobs}
    assert set(by_id) == {chain[0], other[0]}
    assert [job.event_id for job in by_id[chain[0]].follow_ups] == chain[1:]
    assert by_id[other[0]].follow_ups == ()
    for event_id in chain:  # the whole chain is leased by the one claim, an attempt spent each
        leased = event(db, event_id)
        assert (leased.attempts, leased.claim_token) == (1, by_id[chain[0]].claim_token)


async def test_follow_ups_count_against_the_claims_limit(db, hooked):
    chain = _emit_for_contact(db, hooked.application_id, "contact-a", 3)
    [job] = await _store(db, Clock()).claim(2)
    assert [job.event_id, *(f.event_id for f in job.follow_ups)] == chain[:2]
    assert event(db, chain[2]).attempts == 0


async def test_follow_ups_left_unsent_after_a_failure_are_handed_back_and_wait_behind_it(db, hooked):
    first, second, third = _emit_for_contact(db, hooked.application_id, "contact-a", 3)
    clock = Clock()
    store = _store(db, clock)
    [job] = await store.claim(10)
    clock.advance(1)
    # The first was delivered, the second failed: the third was never sent.
    await store.record([_outcome(job, clock.now, 200), _outcome(job.follow_ups[0], clock.now, 500)])

    assert event(db, first).status == "delivered"
    assert (event(db, second).status, event(db, second).attempts) == ("pending", 1)
    unsent = event(db, third)
    assert (unsent.status, unsent.attempts, unsent.claim_token) == ("pending", 0, None)
    assert deliveries(db, third) == []
    assert await store.claim(10) == []  # the second's back-off holds the third behind it
    clock.advance(FAST.delays[0] + 1)
    [again] = await store.claim(10)
    assert (again.event_id, again.attempt) == (second, 2)
    assert [(f.event_id, f.attempt) for f in again.follow_ups] == [(third, 1)]


async def test_releasing_a_job_hands_back_its_follow_ups_too(db, hooked):
    chain = _emit_for_contact(db, hooked.application_id, "contact-a", 2)
    clock = Clock()
    store = _store(db, clock)
    [job] = await store.claim(10)
    await store.release([], [job])
    assert [(event(db, i).attempts, event(db, i).claim_token) for i in chain] == [(0, None), (0, None)]
    [again] = await store.claim(10)
    assert [again.event_id, *(f.event_id for f in again.follow_ups)] == chain


async def test_a_contacts_events_go_out_in_order_from_one_claim_and_stop_at_a_failure(db, hooked):
    chain = _emit_for_contact(db, hooked.application_id, "contact-a", 3)
    store = _store(db, Clock())
    sender = FakeSender(lambda job: 500 if job.event_id == chain[1] else 200)
    assert await DeliveryLoop(store, sender).run_once() == 3

    assert [job.event_id for job in sender.sent] == chain[:2]  # the third waits behind the failure
    assert [event(db, i).status for i in chain] == ["delivered", "pending", "pending"]
    assert event(db, chain[2]).attempts == 0
