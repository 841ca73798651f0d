"""The webhook receiver is down for the whole campaign and comes back afterwards (issue 13):
time is moved forward on the dispatcher's clock, not waited. Every event is delivered exactly
once, and each contact's events arrive in the order they happened (attempt 1, attempt 2, ...,
then contact.finished), whatever the retries' jitter did to their due times."""

from __future__ import annotations

import json
from collections import defaultdict

from sqlalchemy import select

from aicall import notify
from aicall.webhooks.dispatcher import Dispatcher
from aicall.webhooks.models import WebhookEvent
from aicall.webhooks.schedule import DEFAULT_SCHEDULE
from aicall.webhooks.testing import MovableClock, Received, Reply, WebhookReceiver
from tests.integration.dialer.support import add_contacts, make_dialer, prepare_campaign
from tests.integration.webhooks.helpers import BOX, configure

# Busy numbers are re-called at once, twice: three attempts and a final status each.
PHONES = [f"+849876543{n:02d}" for n in range(30)]


async def deliver_due(dispatcher: Dispatcher) -> None:
    for _ in range(100):  # bounded: a batch per round
        if not await dispatcher.run_once():
            return
    raise AssertionError("the outbox never ran dry")


async def test_a_receiver_down_for_the_whole_campaign_gets_everything_once_in_order_per_contact(
    db, tenant, tmp_path
):
    clock = MovableClock()
    state = {"up": False}

    def receiver_state(_request: Received) -> Reply:
        return Reply(status=204, body=b"") if state["up"] else Reply(status=503, body=b"down")

    with WebhookReceiver(behaviour=receiver_state) as receiver:
        configure(db, tenant.application_id, receiver.url)
        prepare_campaign(
            db, tenant, retry={"busy": {"max_attempts": 2, "interval": 0}, "no_answer": {"max_attempts": 0}}
        )
        add_contacts(db, tenant, PHONES)
        dialer = make_dialer(db, tmp_path, emit=notify.emit)
        # Small batches: the events of one contact would meet in a batch, sent concurrently.
        dispatcher = Dispatcher(db, BOX, allow_private=True, clock=clock, schedule=DEFAULT_SCHEDULE, batch=7)
        await dialer.router.start()
        try:
            # The campaign, the dispatcher trying after each pass: every delivery fails.
            for _ in range(20):  # bounded
                started = await dialer.run_once()
                await dialer.drain()
                await deliver_due(dispatcher)
                clock.advance(7)
                if not started:
                    break
            # Still down for hours after: every event fails again and again, at jittered times.
            for _ in range(12):
                clock.advance(900)
                await deliver_due(dispatcher)
            failed_while_down = len(receiver.received)
            state["up"] = True
            for _ in range(48):  # then up; at most two days of the clock, in half hours
                clock.advance(1800)
                await deliver_due(dispatcher)
                with db.reading() as session:
                    left = session.scalars(
                        select(WebhookEvent).where(WebhookEvent.status != "delivered")
                    ).all()
                if not left:
                    break
        finally:
            await dialer.router.close()
            await dispatcher.aclose()

    with db.reading() as session:
        events = {e.id: e for e in session.scalars(select(WebhookEvent))}
    assert events and all(e.status == "delivered" for e in events.values())
    assert failed_while_down >= len(events)  # each one failed at least once while it was down
    delivered = [r for r in receiver.received[failed_while_down:] if r.webhook_id]
    assert sorted(r.webhook_id for r in delivered) == sorted(events)  # each once, none missing
    by_contact: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for request in delivered:
        body = json.loads(request.body)
        data = body["data"]
        number = data["attempt"]["number"] if body["type"] == "call.attempt.finished" else 99
        by_contact[data["contact_id"]].append((body["type"], number))
    assert len(by_contact) == len(PHONES)
    for contact_id, sequence in by_contact.items():
        assert [n for _, n in sequence] == sorted(n for _, n in sequence), (contact_id, sequence)
        assert sequence[-1][0] == "contact.finished", (contact_id, sequence)
