"""The webhook API over HTTP: settings, secret rotation, the delivery log, replays."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from standardwebhooks import Webhook

from aicall.webhooks import payloads
from aicall.webhooks.testing import Reply
from tests.integration.support import LiveServer, Tenant, make_tenant
from tests.integration.webhooks.helpers import FAST, configure, dispatcher, emit, event

BASE = "/api/v1/public-api"


@pytest.fixture
def allow_private(live_server: LiveServer) -> Iterator[None]:
    """The test receiver is on the loopback: allowed as AICALL_WEBHOOK_ALLOW_PRIVATE=1 would."""
    live_server.settings.webhook_allow_private = True
    yield
    live_server.settings.webhook_allow_private = False


@pytest.fixture
def api(live_server: LiveServer, tenant: Tenant) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server.url + BASE, headers=tenant.headers(), timeout=30) as client:
        yield client


def _ok(response: httpx.Response) -> dict:
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == 1
    return body["result"]


def _error(response: httpx.Response, status: int, code: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert (body["status"], body["code"]) == (0, code)
    return body["message"]


def test_settings_can_be_read_and_changed(api, receiver, allow_private, tenant):
    initial = _ok(api.get("/webhooks"))
    assert initial["application_id"] == tenant.application_id
    assert initial["webhook_url"] is None and initial["webhook_events"] is None
    assert initial["webhook_secret"].startswith("whsec_")
    assert initial["available_events"] == list(payloads.EVENT_TYPES)

    changed = _ok(
        api.put("/webhooks", json={"webhookUrl": receiver.url, "webhookEvents": ["contact.finished"]})
    )
    assert (changed["webhook_url"], changed["webhook_events"]) == (receiver.url, ["contact.finished"])
    assert changed["webhook_secret"] == initial["webhook_secret"]  # not rotated by an update

    events_only = _ok(api.put("/webhooks", json={"webhook_events": None}))
    assert (events_only["webhook_url"], events_only["webhook_events"]) == (receiver.url, None)  # URL kept
    assert _ok(api.get("/webhooks")) == events_only

    off = _ok(api.put("/webhooks", json={"webhook_url": None}))
    assert off["webhook_url"] is None


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"webhook_url": "ftp://example.com/in"},
            "Validation Failed: webhook_url: webhook URL must use http or https",
        ),
        ({"webhook_url": "https:///in"}, "Validation Failed: webhook_url: webhook URL has no host"),
        ({"webhook_url": 42}, "Validation Failed: webhook_url: "),
        (
            {"webhook_events": ["call.finished"]},
            "Validation Failed: webhook_events: unknown event type(s) call.finished",
        ),
        ({"webhook_events": "contact.finished"}, "Validation Failed: webhook_events: "),
        ({}, "Validation Failed: send webhook_url and/or webhook_events"),
    ],
)
def test_invalid_settings_are_refused_with_the_field_named(api, body, message):
    assert _error(api.put("/webhooks", json=body), 400, 400).startswith(message)


def test_a_private_address_is_refused_unless_the_operator_allows_it(api, receiver):
    message = _error(api.put("/webhooks", json={"webhook_url": receiver.url}), 400, 400)
    assert message == (
        "Validation Failed: webhook_url: webhook URL refused: 127.0.0.1 is a loopback address"
        " (AICALL_WEBHOOK_ALLOW_PRIVATE=true on the server allows local and private addresses)"
    )
    assert _ok(api.get("/webhooks"))["webhook_url"] is None


def test_rotation_returns_a_new_secret_that_signs_from_then_on(api, db, tenant, receiver, allow_private):
    before = _ok(api.put("/webhooks", json={"webhook_url": receiver.url}))["webhook_secret"]
    after = _ok(api.post("/webhooks/rotate-secret"))["webhook_secret"]
    assert after != before and after.startswith("whsec_")
    assert _ok(api.get("/webhooks"))["webhook_secret"] == after


async def test_the_delivery_log_lists_each_attempt_with_filters_and_paging(api, db, tenant, receiver, clock):
    configure(db, tenant.application_id, receiver.url)
    receiver.behaviour = Reply(500, b"nope")
    failing = emit(db, tenant.application_id, "call.attempt.finished")
    async with dispatcher(db, clock=clock) as sender:
        await sender.run_once()
        receiver.behaviour = Reply(200)
        clock.advance(FAST.delays[0])
        await sender.run_once()
        fine = emit(db, tenant.application_id, "contact.finished")
        await sender.run_once()

    log = _ok(api.get("/webhooks/deliveries"))
    assert log["total_count"] == 3
    newest = log["deliveries"][0]
    assert set(newest) == {
        "id",
        "event_id",
        "event_type",
        "attempt",
        "url",
        "succeeded",
        "status_code",
        "latency_ms",
        "error",
        "response_body",
        "created_at",
    }
    assert (newest["event_id"], newest["event_type"], newest["status_code"]) == (
        fine,
        "contact.finished",
        200,
    )

    failed = _ok(api.get("/webhooks/deliveries", params={"status": "failed"}))
    assert failed["total_count"] == 1
    [attempt] = failed["deliveries"]
    assert (attempt["event_id"], attempt["status_code"], attempt["error"], attempt["response_body"]) == (
        failing,
        500,
        "HTTP 500",
        "nope",
    )
    assert attempt["latency_ms"] >= 0 and attempt["created_at"].endswith("Z")

    of_one = _ok(api.get("/webhooks/deliveries", params={"eventId": failing}))
    assert [d["attempt"] for d in of_one["deliveries"]] == [2, 1]
    by_type = _ok(api.get("/webhooks/deliveries", params={"event_type": "contact.finished"}))
    assert by_type["total_count"] == 1
    page = _ok(api.get("/webhooks/deliveries", params={"limit": 2, "offset": 2}))
    assert (page["total_count"], len(page["deliveries"])) == (3, 1)
    later = (clock() + timedelta(hours=1)).isoformat()
    assert _ok(api.get("/webhooks/deliveries", params={"since": later}))["total_count"] == 0

    assert _error(api.get("/webhooks/deliveries", params={"limit": 500}), 400, 400) == (
        "Validation Failed: limit: must be between 1 and 50, not 500"
    )
    assert "since" in _error(api.get("/webhooks/deliveries", params={"since": "yesterday"}), 400, 400)
    assert "status" in _error(api.get("/webhooks/deliveries", params={"status": "maybe"}), 400, 400)


async def test_events_can_be_listed_and_read_with_their_attempts(api, db, tenant, receiver):
    configure(db, tenant.application_id, receiver.url)
    event_id = emit(db, tenant.application_id, "campaign.completed")
    queued = emit(db, tenant.application_id, "campaign.started")
    async with dispatcher(db, batch=1) as sender:
        await sender.run_once()

    listed = _ok(api.get("/webhooks/events"))
    assert listed["total_count"] == 2
    pending = _ok(api.get("/webhooks/events", params={"status": "pending"}))
    assert [e["id"] for e in pending["events"]] == [queued]

    detail = _ok(api.get(f"/webhooks/events/{event_id}"))
    assert (detail["type"], detail["status"], detail["attempts"]) == ("campaign.completed", "delivered", 1)
    assert detail["data"]["status"] == "completed"
    assert [d["succeeded"] for d in detail["deliveries"]] == [True]


def test_another_applications_event_is_not_found(api, db, live_server, receiver):
    other = make_tenant(db, "Other")
    configure(db, other.application_id, receiver.url)
    theirs = emit(db, other.application_id)
    assert _error(api.get(f"/webhooks/events/{theirs}"), 404, 1601) == "Webhook event is not found"
    assert _error(api.post(f"/webhooks/events/{theirs}/replay"), 404, 1601) == "Webhook event is not found"


async def test_replaying_an_event_sends_it_again_with_the_same_webhook_id(api, db, tenant, receiver):
    secret = configure(db, tenant.application_id, receiver.url)
    event_id = emit(db, tenant.application_id, "contact.finished")
    async with dispatcher(db) as sender:
        await sender.run_once()
        replayed = _ok(api.post(f"/webhooks/events/{event_id}/replay"))
        assert (replayed["id"], replayed["status"], replayed["attempts"]) == (event_id, "pending", 0)
        assert await sender.run_once() == 1

    first, second = receiver.received
    assert first.webhook_id == second.webhook_id == event_id
    assert Webhook(secret).verify(second.body, second.headers) == Webhook(secret).verify(
        first.body, first.headers
    )
    assert event(db, event_id).status == "delivered"


async def test_replaying_failed_events_since_a_time_queues_those_and_only_those(
    api, db, tenant, receiver, clock
):
    configure(db, tenant.application_id, receiver.url)
    receiver.behaviour = Reply(500)
    old = emit(db, tenant.application_id, "campaign.started")
    cutoff = event(db, old).created_at + timedelta(microseconds=1)
    recent = [
        emit(db, tenant.application_id, "campaign.paused"),
        emit(db, tenant.application_id, "campaign.resumed"),
    ]
    async with dispatcher(db, clock=clock) as sender:
        for _ in range(FAST.max_attempts):
            await sender.run_once()
            clock.advance(max(FAST.delays))
        assert {event(db, e).status for e in [old, *recent]} == {"failed"}

        answer = _ok(api.post("/webhooks/events/replay-failed", json={"since": cutoff.isoformat()}))
        assert answer == {"replayed": 2}
        receiver.behaviour = Reply(200)
        assert await sender.run_once() == 2

    assert [event(db, e).status for e in recent] == ["delivered", "delivered"]
    assert event(db, old).status == "failed"
    typed = _ok(
        api.post(
            "/webhooks/events/replay-failed", json={"since": "2000-01-01", "eventType": "campaign.started"}
        )
    )
    assert typed == {"replayed": 1}
    assert _error(api.post("/webhooks/events/replay-failed", json={}), 400, 400).startswith(
        "Validation Failed: since"
    )


def test_replay_needs_a_webhook_url(api, db, tenant):
    configure(db, tenant.application_id, None)
    answer = api.post("/webhooks/events/replay-failed", json={"since": "2026-01-01T00:00:00Z"})
    assert _error(answer, 400, 1602) == "Webhook URL is not set"


def test_the_webhook_api_needs_a_valid_token(live_server):
    answer = httpx.get(live_server.url + BASE + "/webhooks")
    assert _error(answer, 401, 401) == "Unauthorized"
