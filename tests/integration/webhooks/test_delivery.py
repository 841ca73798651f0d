"""The dispatcher against a real HTTP receiver: signing, retries, failures of every kind."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from aicall.accounts import service as account_service
from aicall.accounts.models import Application
from aicall.webhooks import payloads
from aicall.webhooks import service as webhook_service
from aicall.webhooks.sender import GuardedTransport
from aicall.webhooks.testing import CLOSE, HANG, Reply, WebhookReceiver
from tests.integration.support import free_port, make_tenant
from tests.integration.webhooks.helpers import (
    BOX,
    FAST,
    configure,
    deliveries,
    dispatcher,
    emit,
    event,
    example,
)


async def test_a_delivery_is_signed_so_the_receiver_can_verify_it_with_standardwebhooks(db, hooked, receiver):
    event_id = emit(db, hooked.application_id, "call.attempt.finished")
    async with dispatcher(db) as sender:
        assert await sender.run_once() == 1

    [request] = receiver.received
    body = Webhook(hooked.secret).verify(request.body, request.headers)
    stored = event(db, event_id)
    assert body == {
        "type": "call.attempt.finished",
        "timestamp": payloads.iso(stored.created_at),
        "data": example("call.attempt.finished")["data"],
    }
    assert request.webhook_id == event_id
    assert request.headers["content-type"] == "application/json"
    assert stored.status == "delivered" and stored.delivered_at is not None and stored.attempts == 1
    [attempt] = deliveries(db, event_id)
    assert (attempt.succeeded, attempt.status_code, attempt.error, attempt.attempt) == (True, 200, None, 1)
    assert attempt.latency_ms is not None and attempt.latency_ms >= 0


async def test_a_signature_made_with_another_secret_does_not_verify(db, hooked, receiver):
    emit(db, hooked.application_id)
    async with dispatcher(db) as sender:
        await sender.run_once()
    [request] = receiver.received
    with pytest.raises(WebhookVerificationError):
        Webhook(account_service.new_webhook_secret()).verify(request.body, request.headers)


async def test_a_receiver_answering_500_gets_the_event_again_later_with_the_same_webhook_id(
    db, hooked, receiver, clock
):
    receiver.behaviour = Reply(500, b"database is down")
    event_id = emit(db, hooked.application_id)
    async with dispatcher(db, clock=clock) as sender:
        assert await sender.run_once() == 1
        pending = event(db, event_id)
        assert (pending.status, pending.attempts, pending.last_status_code) == ("pending", 1, 500)
        assert pending.next_attempt_at is not None and pending.next_attempt_at > clock()
        assert await sender.run_once() == 0  # not due before its back-off

        clock.advance(FAST.delays[0])
        receiver.behaviour = Reply(204, b"")
        assert await sender.run_once() == 1

    assert [r.webhook_id for r in receiver.received] == [event_id, event_id]
    for request in receiver.received:  # each attempt is signed afresh
        Webhook(hooked.secret).verify(request.body, request.headers)
    assert receiver.received[0].body == receiver.received[1].body
    first, second = deliveries(db, event_id)
    assert (first.succeeded, first.status_code, first.error, first.response_body) == (
        False,
        500,
        "HTTP 500",
        "database is down",
    )
    assert (second.succeeded, second.status_code, second.attempt) == (True, 204, 2)
    assert event(db, event_id).status == "delivered"


async def test_a_receiver_that_never_answers_times_out_and_a_retry_is_scheduled(db, hooked, receiver, clock):
    receiver.behaviour = HANG
    event_id = emit(db, hooked.application_id)
    async with dispatcher(db, clock=clock, timeout=0.5) as sender:
        assert await sender.run_once() == 1
    receiver.release()

    stored = event(db, event_id)
    assert (stored.status, stored.attempts, stored.last_status_code) == ("pending", 1, None)
    assert stored.last_error == "no answer within 0.5 s"
    assert stored.next_attempt_at is not None and stored.next_attempt_at > clock()
    [attempt] = deliveries(db, event_id)
    assert not attempt.succeeded and attempt.latency_ms is not None and attempt.latency_ms >= 450


async def test_a_receiver_that_closes_the_connection_without_answering_counts_as_a_failure(
    db, hooked, receiver, clock
):
    receiver.behaviour = CLOSE
    event_id = emit(db, hooked.application_id)
    async with dispatcher(db, clock=clock) as sender:
        await sender.run_once()
    stored = event(db, event_id)
    assert (stored.status, stored.attempts) == ("pending", 1)
    assert (
        stored.last_error is not None and "connection closed without a complete answer" in stored.last_error
    )


async def test_a_redirect_is_not_followed_and_counts_as_a_failure(db, hooked, receiver, clock):
    elsewhere = receiver.url.replace("/hook", "/elsewhere")
    receiver.behaviour = Reply(301, b"", headers=(("location", elsewhere),))
    event_id = emit(db, hooked.application_id)
    async with dispatcher(db, clock=clock) as sender:
        await sender.run_once()

    assert [r.path for r in receiver.received] == ["/hook"]
    stored = event(db, event_id)
    assert (stored.status, stored.last_status_code) == ("pending", 301)
    assert (
        stored.last_error == f"HTTP 301: redirect to {elsewhere} not followed; answer 2xx at the webhook URL"
    )


async def test_events_sent_while_the_receiver_is_down_all_arrive_once_it_is_back(db, tenant, clock):
    port = free_port()
    configure(db, tenant.application_id, f"http://127.0.0.1:{port}/hook")
    event_ids = {
        emit(db, tenant.application_id, name)
        for name in ("campaign.started", "campaign.paused", "contact.finished")
    }
    async with dispatcher(db, clock=clock) as sender:
        assert await sender.run_once() == 3
        for event_id in event_ids:
            stored = event(db, event_id)
            assert stored.status == "pending" and stored.last_error is not None
            assert stored.last_error.startswith("cannot connect")

        with WebhookReceiver(port=port) as receiver:
            clock.advance(FAST.delays[0])
            assert await sender.run_once() == 3
            assert await sender.run_once() == 0

    assert sorted(r.webhook_id for r in receiver.received) == sorted(event_ids)
    assert all(event(db, event_id).status == "delivered" for event_id in event_ids)


async def test_an_event_that_keeps_failing_is_failed_after_its_last_retry(db, hooked, receiver, clock):
    receiver.behaviour = Reply(503)
    event_id = emit(db, hooked.application_id)
    async with dispatcher(db, clock=clock) as sender:
        for _ in range(FAST.max_attempts):
            assert await sender.run_once() == 1
            clock.advance(max(FAST.delays))
        assert await sender.run_once() == 0

    stored = event(db, event_id)
    assert (stored.status, stored.attempts, stored.next_attempt_at) == ("failed", FAST.max_attempts, None)
    assert [d.attempt for d in deliveries(db, event_id)] == [1, 2, 3]
    assert {r.webhook_id for r in receiver.received} == {event_id}


async def test_a_url_that_now_resolves_to_a_private_address_is_refused_at_delivery(
    db, tenant, receiver, clock
):
    # Configured through the database: as if the name had pointed elsewhere when it was set.
    configure(db, tenant.application_id, f"http://localhost:{receiver.port}/hook")
    event_id = emit(db, tenant.application_id)
    async with dispatcher(db, clock=clock, allow_private=False) as sender:
        assert await sender.run_once() == 1

    assert receiver.received == []
    stored = event(db, event_id)
    assert stored.status == "pending"
    # Not which address it resolved to: the operator's DNS answers are not the customer's.
    assert stored.last_error == "webhook URL refused: localhost resolves to an address that is not allowed"


async def test_the_dispatchers_own_http_client_connects_only_to_public_addresses(receiver):
    # What closes the DNS-rebinding gap: the address connected to is the one checked.
    async with httpx.AsyncClient(transport=GuardedTransport()) as client:
        with pytest.raises(httpx.ConnectError, match="not allowed"):
            await client.post(receiver.url.replace("127.0.0.1", "localhost"), content=b"{}")
    assert receiver.received == []


async def test_rotating_the_secret_signs_the_next_attempt_with_the_new_secret(db, hooked, receiver, clock):
    receiver.behaviour = Reply(500)
    emit(db, hooked.application_id)
    async with dispatcher(db, clock=clock) as sender:
        await sender.run_once()
        rotated = webhook_service.rotate_secret(db=db, box=BOX, application_id=hooked.application_id)
        receiver.behaviour = Reply(200)
        clock.advance(FAST.delays[0])
        await sender.run_once()

    old, new = hooked.secret, rotated.webhook_secret
    assert new is not None and new != old and new.startswith("whsec_")
    before, after = receiver.received
    Webhook(old).verify(before.body, before.headers)
    Webhook(new).verify(after.body, after.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(after.body, after.headers)


async def test_a_pending_event_whose_application_lost_its_url_is_failed_without_a_request(
    db, hooked, receiver
):
    event_id = emit(db, hooked.application_id)
    configure(db, hooked.application_id, None)
    async with dispatcher(db) as sender:
        assert await sender.run_once() == 0
    stored = event(db, event_id)
    assert (stored.status, stored.last_error) == ("failed", "the application has no webhook URL")
    assert receiver.received == []


async def test_an_answer_with_binary_garbage_is_logged_without_stalling_the_batch(db, hooked, receiver):
    receiver.behaviour = Reply(200, b"\x00\xff\xfe binary \x00")
    event_id = emit(db, hooked.application_id)
    async with dispatcher(db) as sender:
        assert await sender.run_once() == 1
    assert event(db, event_id).status == "delivered"
    [attempt] = deliveries(db, event_id)
    assert attempt.response_body is not None and "binary" in attempt.response_body


async def test_an_unreadable_signing_secret_holds_that_event_back_and_not_the_others(db, hooked, receiver):
    """A secret this process cannot open (another key sealed it) is this process's fault: the
    event stays owed, due again later, its attempt not spent; the others go out."""
    broken = make_tenant(db, "Broken")
    configure(db, broken.application_id, receiver.url)
    with db.transaction() as session:
        session.get(Application, broken.application_id).webhook_secret_encrypted = "sealed-with-another-key"
    theirs = emit(db, broken.application_id)
    ours = emit(db, hooked.application_id)
    async with dispatcher(db) as sender:
        assert await sender.run_once() == 1
    assert event(db, ours).status == "delivered"
    stuck = event(db, theirs)
    assert stuck.status == "pending" and stuck.last_error.startswith("cannot use the signing secret")
    assert stuck.attempts == 0 and stuck.claim_token is None
    assert stuck.next_attempt_at > datetime.now(UTC) + timedelta(seconds=30)
