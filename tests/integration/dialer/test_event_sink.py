"""The dialer's events as the engine wires them (`EventSink(notify.emit_checked,
notify.listening)`): one batch per stored transaction, payloads built only for applications
with a webhook URL, and every stored payload exactly what its documented schema says."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from aicall import notify
from aicall.calls.models import CallAttempt
from aicall.campaigns.models import Contact
from aicall.dialer.outbox import EventSink
from aicall.webhooks import payloads
from aicall.webhooks.models import WebhookEvent
from tests.integration.dialer.support import (
    NO_RETRY,
    add_contacts,
    make_dialer,
    prepare_campaign,
    run_until_idle,
)
from tests.integration.webhooks.helpers import configure

ENGINE_SINK = EventSink(notify.emit_checked, notify.listening)
PHONES = [f"+8498765432{d}" for d in range(10)]  # the simulator's mixed outcomes, by last digit


async def dial_all(db, tenant, tmp_path, *, retry: dict) -> None:
    """Dial PHONES on the simulator with the engine's sink until nothing is left to do."""
    prepare_campaign(db, tenant, retry=retry)
    add_contacts(db, tenant, PHONES)
    dialer = make_dialer(db, tmp_path, emit=ENGINE_SINK)
    await dialer.router.start()
    await run_until_idle(dialer)
    await dialer.router.close()


async def test_an_application_with_a_webhook_url_gets_every_event_valid_and_once(db, tenant, tmp_path):
    configure(db, tenant.application_id, "http://127.0.0.1:9/hook")
    await dial_all(db, tenant, tmp_path, retry={**NO_RETRY, "busy": {"max_attempts": 1, "interval": 0}})

    with db.reading() as session:
        attempts = session.scalar(select(func.count()).select_from(CallAttempt))
        contacts = session.scalar(select(func.count()).select_from(Contact))
        events = session.scalars(select(WebhookEvent).order_by(WebhookEvent.created_at)).all()
        types = Counter(event.type for event in events)
        for event in events:
            payloads.validate_data(event.type, event.payload)  # raises on a mismatch
        by_attempt = Counter(
            event.payload["attempt"]["id"] for event in events if event.type == "call.attempt.finished"
        )
    assert attempts > len(PHONES)  # the busy one was called again
    assert types["call.attempt.finished"] == attempts
    assert types["contact.finished"] == contacts == len(PHONES)
    assert set(by_attempt.values()) == {1}


async def test_an_application_without_a_webhook_url_stores_results_and_no_events(db, tenant, tmp_path):
    await dial_all(db, tenant, tmp_path, retry=NO_RETRY)

    with db.reading() as session:
        statuses = Counter(session.scalars(select(Contact.status)))
        events = session.scalar(select(func.count()).select_from(WebhookEvent))
    assert sum(statuses.values()) == len(PHONES)
    assert set(statuses) <= {"done", "failed"}
    assert events == 0
