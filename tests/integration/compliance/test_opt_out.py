"""Pressing the opt-out key on a simulated call lists the number (Decree 91/2020/ND-CP Art. 13
cl. 4): the attempt, the contact, the webhooks and the audit log say so, in one transaction."""

from __future__ import annotations

from dataclasses import replace

import requests
from sqlalchemy import select

from aicall.compliance.models import AuditEntry, DncEntry
from aicall.interpreter.script import Action, ActionType, KeyResponse
from aicall.notify import emit as outbox_emit
from tests.integration.dialer import support
from tests.integration.dialer.support import (
    add_contacts,
    make_dialer,
    prepare_campaign,
    run_until_idle,
    snapshot,
)
from tests.integration.scenarios.helpers import Api
from tests.integration.support import make_tenant

# The simulator's phones ending in 2 press 2 at the first menu: here, the opt-out key.
REFUSER = "+84987654322"
AGREES = "+84987654321"
MENU = Action(
    id="menu",
    type=ActionType.INTERACTIVE_MENU,
    label="start",
    content_text="Bấm 1 để xác nhận, bấm 2 để từ chối nhận cuộc gọi.",
    responses=(KeyResponse("1", "thanks"), KeyResponse("2", "bye", opt_out=True)),
    timeout=3,
    max_retries=1,
)


async def test_the_opt_out_key_lists_the_number_and_stops_it_everywhere(db, tenant, tmp_path, monkeypatch):
    monkeypatch.setattr(
        support, "SCRIPT", replace(support.SCRIPT, actions={**support.SCRIPT.actions, "menu": MENU})
    )
    prepare_campaign(db, tenant, retry={})
    add_contacts(db, tenant, [REFUSER, AGREES])
    # A second campaign of the same account holds the same number, waiting (a draft).
    with db.transaction() as session:
        from aicall.campaigns import service as campaign_service

        second = campaign_service.create_campaign(
            session=session, application_id=tenant.application_id, name="B"
        )
    support.add_contacts(db, replace(tenant, campaign_id=second.id), [REFUSER])
    stranger = make_tenant(db, "Stranger")
    add_contacts(db, stranger, [REFUSER])

    emitted: list[tuple[str, dict]] = []

    def emit(session, *, application_id, event_type, payload):
        emitted.append((str(event_type), payload))
        outbox_emit(session, application_id=application_id, event_type=event_type, payload=payload)

    dialer = make_dialer(db, tmp_path, emit=emit)
    await dialer.router.start()
    try:
        await run_until_idle(dialer)
    finally:
        await dialer.router.close()

    snap = snapshot(db, tenant)
    (attempt,) = snap.attempts[REFUSER]
    assert attempt.opt_out is True and attempt.keys_pressed == "2" and attempt.outcome == "answered"
    assert [step["action_id"] for step in attempt.path] == ["menu", "bye"]  # the goodbye played
    refused = snap.contacts[REFUSER]
    assert (refused.status, refused.compliance_reason, refused.compliance_rule) == (
        "do_not_call",
        "opt_out",
        "stop_on_refusal",
    )
    assert snap.attempts[AGREES][0].opt_out is False and snap.contacts[AGREES].status == "done"
    with db.reading() as session:
        entries = session.scalars(select(DncEntry)).all()
        assert [(e.account_id, e.phone, e.source) for e in entries] == [
            (tenant.account_id, REFUSER, "opt_out")
        ]
        from aicall.campaigns.models import Contact

        others = {
            c.campaign_id: c.status for c in session.scalars(select(Contact).where(Contact.phone == REFUSER))
        }
        audit_rows = session.scalars(
            select(AuditEntry).where(AuditEntry.account_id == tenant.account_id)
        ).all()
    assert others[second.id] == "do_not_call"  # the account's other campaign stopped it too
    assert others[stranger.campaign_id] == "pending"  # another account's contact: not stopped
    assert sorted((a.type, a.action) for a in audit_rows) == [
        ("do_not_call", "stopped"),
        ("opt_out", "listed"),
    ]

    attempt_events = [p for t, p in emitted if t == "call.attempt.finished" and p["phone_number"] == REFUSER]
    assert (
        attempt_events[0]["attempt"]["opt_out"] is True and attempt_events[0]["retry"]["scheduled"] is False
    )
    finished = [p for t, p in emitted if t == "contact.finished" and p["contact_id"] == refused.id]
    assert finished[0]["status"] == "do_not_call"
    assert finished[0]["compliance"]["reason"] == "opt_out"
    assert finished[0]["compliance"]["citation"] == "Decree 91/2020/ND-CP, Art. 13, cl. 4"


def test_a_keypad_response_is_marked_opt_out_through_the_api(live_server, db, tenant):
    api = Api(live_server, tenant, db)
    scenario = api.create_scenario()
    start = next(a for a in api.actions(scenario["id"]) if a["type"] == "INTERACTIVE_MENU")
    bye = requests.post(
        f"{live_server.url}/api/v1/public-api/scenario-actions",
        json={"scenarioId": scenario["id"], "type": "END_CALL", "contentText": "Tạm biệt."},
        headers=tenant.headers(),
        timeout=10,
    ).json()["result"]
    changed = api.put(
        f"/scenario-actions/{start['id']}",
        {
            "contentText": "Bấm 9 để từ chối.",
            "responses": [{"keyPadMatch": "9", "nextActionId": bye["id"], "optOut": True}],
        },
    )
    assert changed.status_code == 200, changed.text
    (response,) = changed.json()["result"]["responses"]
    assert response["opt_out"] is True and response["next_action_id"] == bye["id"]
