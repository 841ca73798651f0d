"""`outbox.emit`: events commit with the caller's work, or not at all."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from aicall.webhooks import outbox
from aicall.webhooks.models import WebhookEvent
from tests.integration.webhooks.helpers import configure, example


def _events(db) -> list[WebhookEvent]:
    with db.reading() as session:
        return list(session.scalars(select(WebhookEvent)))


def test_an_event_commits_with_the_transaction_that_emitted_it(db, hooked):
    data = example("contact.finished")["data"]
    with db.transaction() as session:
        event_id = outbox.emit(
            session, application_id=hooked.application_id, event_type="contact.finished", payload=data
        )
    [stored] = _events(db)
    assert stored.id == event_id and len(event_id) == 24
    assert (stored.type, stored.status, stored.attempts, stored.payload) == (
        "contact.finished",
        "pending",
        0,
        data,
    )
    assert stored.next_attempt_at == stored.created_at  # due at once


def test_an_event_emitted_in_a_transaction_that_rolls_back_is_never_sent(db, hooked):
    def store_result_then_fail() -> None:
        with db.transaction() as session:
            outbox.emit(
                session,
                application_id=hooked.application_id,
                event_type="campaign.started",
                payload=example("campaign.started")["data"],
            )
            raise RuntimeError("the call result could not be stored")

    with pytest.raises(RuntimeError):
        store_result_then_fail()
    assert _events(db) == []


def test_nothing_is_stored_for_an_application_without_a_webhook_url(db, tenant):
    configure(db, tenant.application_id, None)
    with db.transaction() as session:
        assert (
            outbox.emit(
                session,
                application_id=tenant.application_id,
                event_type="campaign.started",
                payload=example("campaign.started")["data"],
            )
            is None
        )
    assert _events(db) == []


def test_only_the_event_types_an_application_chose_are_stored(db, tenant, receiver):
    configure(db, tenant.application_id, receiver.url, events=["contact.finished"])
    with db.transaction() as session:
        skipped = outbox.emit(
            session,
            application_id=tenant.application_id,
            event_type="call.attempt.finished",
            payload=example("call.attempt.finished")["data"],
        )
        kept = outbox.emit(
            session,
            application_id=tenant.application_id,
            event_type="contact.finished",
            payload=example("contact.finished")["data"],
        )
    assert skipped is None
    assert [e.id for e in _events(db)] == [kept]


def test_an_undocumented_event_type_is_refused_loudly(db, hooked):
    with pytest.raises(outbox.UnknownEventType), db.transaction() as session:
        outbox.emit(session, application_id=hooked.application_id, event_type="call.finished", payload={})


def test_a_payload_off_its_schema_is_still_sent_and_logged_as_an_error(db, hooked, caplog):
    with caplog.at_level(logging.ERROR, logger="aicall.webhooks"), db.transaction() as session:
        event_id = outbox.emit(
            session,
            application_id=hooked.application_id,
            event_type="campaign.paused",
            payload={"campaign_id": "c1"},
        )
    assert event_id is not None
    assert "campaign.paused payload does not match its schema" in caplog.text


def test_datetimes_in_a_payload_are_stored_as_iso_8601_utc(db, hooked):
    data = dict(example("campaign.paused")["data"], at=datetime(2026, 11, 26, 3, 12, 45, 310000, tzinfo=UTC))
    with db.transaction() as session:
        outbox.emit(session, application_id=hooked.application_id, event_type="campaign.paused", payload=data)
    [stored] = _events(db)
    assert stored.payload["at"] == "2026-11-26T03:12:45.310Z"


def test_the_body_keeps_the_emitters_key_order_and_is_the_same_on_every_render(db, hooked):
    data = example("call.attempt.finished")["data"]
    with db.transaction() as session:
        outbox.emit(
            session, application_id=hooked.application_id, event_type="call.attempt.finished", payload=data
        )
    [stored] = _events(db)
    assert list(stored.payload) == list(data)  # PostgreSQL's JSONB would have reordered these
    assert list(stored.payload["attempt"]) == list(data["attempt"])
    body = outbox.render_body(stored.type, stored.created_at, stored.payload)
    assert body == outbox.render_body(stored.type, stored.created_at, stored.payload)
    assert body.startswith('{"type":"call.attempt.finished","timestamp":"')
