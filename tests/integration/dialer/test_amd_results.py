"""What a call answered by a machine leaves behind (issue 15), on SQLite and PostgreSQL: outcome
`voicemail`, the detector's decision on the attempt (API and webhook), the `voicemail` retry
rule, and the charge of an answered call. The far end is the fake line of the unit tests (a
greeting and a beep, or a person's "a lô"), dialled by the real dialer."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import requests

from aicall.dialer.backends import BackendRouter
from aicall.events import EventType
from aicall.webhooks import payloads
from tests.integration.dialer.support import NO_RETRY, add_contacts, make_dialer, prepare_campaign, snapshot
from tests.integration.support import LiveServer, Tenant
from tests.unit.dialer.amd_fakes import HUMAN, VOICEMAIL, FakeBackend, FakeLine

PHONE = "+84987654321"


async def dial_once(db, tenant: Tenant, tmp_path, line: FakeLine) -> list[tuple[str, dict[str, Any]]]:
    """One contact dialled to `line`; the webhook events emitted."""
    emitted: list[tuple[str, dict[str, Any]]] = []

    def emit(_session: Any, *, application_id: str, event_type: EventType, payload: dict[str, Any]) -> None:
        emitted.append((event_type.value, payload))

    dialer = make_dialer(db, tmp_path, emit=emit)
    dialer.router = BackendRouter(dialer.settings, sim=FakeBackend(line))  # type: ignore[arg-type]
    add_contacts(db, tenant, [PHONE])
    await dialer.router.start()
    try:
        assert await dialer.run_once() == 1
        await dialer.drain()
    finally:
        await dialer.router.close()
    return emitted


def contact_read(server: LiveServer, tenant: Tenant, contact_id: str) -> dict[str, Any]:
    """`GET /contacts/{id}` over HTTP: the contact with its attempts, as a client sees them."""
    answer = requests.get(
        f"{server.url}/api/v1/public-api/contacts/{contact_id}", headers=tenant.headers(), timeout=30
    )
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()["result"]
    return result


def attempt_event(emitted: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    [(_, payload)] = [e for e in emitted if e[0] == "call.attempt.finished"]
    payloads.validate_data("call.attempt.finished", payload)  # the documented schema
    return payload


async def test_a_voicemail_is_stored_reported_charged_as_answered_and_re_called_by_its_rule(
    db, tenant, tmp_path, live_server: LiveServer
):
    retry = {**NO_RETRY, "voicemail": {"max_attempts": 1, "interval": 3600}}
    prepare_campaign(
        db,
        tenant,
        retry=retry,
        amd=True,
        voicemail_action="leave_message",
        voicemail_message_action_id="thanks",
    )

    emitted = await dial_once(db, tenant, tmp_path, FakeLine(VOICEMAIL))

    snap = snapshot(db, tenant)
    [attempt] = snap.attempts[PHONE]
    assert attempt.outcome == "voicemail" and attempt.sip_code == 200
    assert attempt.amd is not None
    assert (attempt.amd["verdict"], attempt.amd["reason"], attempt.amd["message_left"]) == (
        "machine",
        "beep",
        True,
    )
    assert [step["action_id"] for step in attempt.path] == ["thanks"]  # the message, nothing else
    # Answered by a machine is answered for the carrier: charged by the second like any answered call.
    assert attempt.duration > 0 and attempt.billable_seconds >= attempt.duration and attempt.cost > 0
    contact = snap.contacts[PHONE]
    assert contact.status == "retry_wait" and contact.last_outcome == "voicemail"
    data = attempt_event(emitted)
    assert data["attempt"]["outcome"] == "voicemail"
    assert data["attempt"]["amd"] == {
        "verdict": "machine",
        "reason": "beep",
        "decided_after": attempt.amd["decided_after"],
        "message_left": True,
    }
    assert data["retry"]["scheduled"] is True
    shown = await asyncio.to_thread(contact_read, live_server, tenant, contact.id)
    assert shown["call_attempts"][0]["amd"]["verdict"] == "machine"
    assert shown["call_attempts"][0]["outcome"] == "voicemail"


async def test_a_person_is_answered_with_the_scenario_and_the_verdict_on_record(db, tenant, tmp_path):
    prepare_campaign(db, tenant, retry=NO_RETRY, amd=True)

    emitted = await dial_once(db, tenant, tmp_path, FakeLine(HUMAN))

    [attempt] = snapshot(db, tenant).attempts[PHONE]
    assert attempt.outcome == "answered" and attempt.amd is not None and attempt.amd["verdict"] == "human"
    assert attempt.path[0]["action_id"] == "menu"
    assert attempt_event(emitted)["attempt"]["amd"]["verdict"] == "human"


async def test_without_detection_the_attempt_says_nothing_of_it(db, tenant, tmp_path):
    prepare_campaign(db, tenant, retry=NO_RETRY)

    emitted = await dial_once(db, tenant, tmp_path, FakeLine(VOICEMAIL))

    [attempt] = snapshot(db, tenant).attempts[PHONE]
    assert attempt.outcome == "answered" and attempt.amd is None
    assert attempt_event(emitted)["attempt"]["amd"] is None


@pytest.mark.parametrize(
    ("settings", "field", "why"),
    [
        ({"amd": True, "voicemailAction": "leave_message"}, "settings", "needs voicemail_message_action_id"),
        ({"amdMode": "later"}, "settings.amdMode", ""),
        ({"voicemailAction": "beep"}, "settings.voicemailAction", ""),
        (
            {"voicemailAction": "leave_message", "voicemailMessageActionId": "nope"},
            "settings.voicemail_message_action_id",
            "the scenario has no action 'nope'",
        ),
    ],
)
def test_bad_voicemail_settings_are_refused_naming_the_field(
    live_server: LiveServer, tenant: Tenant, db, settings: dict[str, Any], field: str, why: str
):
    prepare_campaign(db, tenant)  # a scenario (sc-test) the campaign points at
    answer = requests.put(
        f"{live_server.url}/api/v1/public-api/campaigns/{tenant.campaign_id}",
        json={"settings": settings},
        headers=tenant.headers(),
        timeout=30,
    )
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert body["details"][0]["field"] == field, body
    assert why in body["message"]
