"""Shared by the webhook tests: configuring an application, emitting, reading the outbox."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from aicall.accounts.models import Application
from aicall.accounts.secrets_box import SecretBox
from aicall.db.engine import Database
from aicall.webhooks import outbox
from aicall.webhooks.dispatcher import Dispatcher
from aicall.webhooks.models import WebhookDelivery, WebhookEvent
from aicall.webhooks.schedule import RetrySchedule
from aicall.webhooks.testing import WebhookReceiver
from tests.integration.support import SECRET_KEY, Tenant

BOX = SecretBox(SECRET_KEY)
EXAMPLES = Path(__file__).resolve().parents[3] / "docs" / "webhooks" / "examples"
# Three attempts, a second apart, no jitter: tests move a MovableClock instead of sleeping.
FAST = RetrySchedule(delays=(1.0, 1.0), jitter=0)


def example(name: str) -> dict[str, Any]:
    """The documented example body `docs/webhooks/examples/<name>.json`."""
    body: dict[str, Any] = json.loads((EXAMPLES / f"{name}.json").read_text())
    return body


def configure(db: Database, application_id: str, url: str | None, events: list[str] | None = None) -> str:
    """Point the application's webhooks at `url` (no URL check: as if DNS changed later);
    return its signing secret."""
    with db.transaction() as session:
        app = session.get(Application, application_id)
        assert app is not None and app.webhook_secret_encrypted
        app.webhook_url = url
        app.webhook_events = events
        return BOX.open(app.webhook_secret_encrypted)


def emit(db: Database, application_id: str, name: str = "scenario.approved") -> str:
    """Emit the documented example `name` in a transaction of its own; return the event id."""
    body = example(name)
    with db.transaction() as session:
        event_id = outbox.emit(
            session, application_id=application_id, event_type=body["type"], payload=body["data"]
        )
    assert event_id is not None
    return event_id


def emit_contact_events(db: Database, application_id: str, contact_ids: list[str]) -> list[str]:
    """One documented `contact.finished` per entry of `contact_ids`, committed together (as a
    call's result commits its events; a contact named twice gets two, in order); their ids."""
    body = example("contact.finished")
    with db.transaction() as session:
        ids = [
            outbox.emit(
                session,
                application_id=application_id,
                event_type=body["type"],
                payload={**body["data"], "contact_id": contact_id},
            )
            for contact_id in contact_ids
        ]
    assert None not in ids
    return [str(event_id) for event_id in ids]


def event(db: Database, event_id: str) -> WebhookEvent:
    with db.reading() as session:
        row = session.get(WebhookEvent, event_id)
        assert row is not None
        return row


def deliveries(db: Database, event_id: str) -> list[WebhookDelivery]:
    with db.reading() as session:
        return list(
            session.scalars(
                select(WebhookDelivery)
                .where(WebhookDelivery.event_id == event_id)
                .order_by(WebhookDelivery.created_at, WebhookDelivery.attempt)
            )
        )


def dispatcher(db: Database, **options: Any) -> Dispatcher:
    settings: dict[str, Any] = {"allow_private": True, "schedule": FAST, "timeout": 5.0, **options}
    return Dispatcher(db, BOX, **settings)


@dataclass
class Hooked:
    """A tenant whose webhooks go to a live local receiver."""

    tenant: Tenant
    receiver: WebhookReceiver
    secret: str

    @property
    def application_id(self) -> str:
        return self.tenant.application_id
