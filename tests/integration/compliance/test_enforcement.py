"""A listed number is never dialled: refused at import, stopped while waiting, skipped by the
claim about to dial it (Decree 91/2020/ND-CP Art. 13 cl. 1)."""

from __future__ import annotations

import requests
from sqlalchemy import select

from aicall.accounts.models import Application
from aicall.calls.models import CallAttempt
from aicall.campaigns.models import Contact
from aicall.clock import utc_now
from aicall.compliance import dnc
from aicall.compliance.gate import screen_claim
from aicall.compliance.rules import DncSource
from aicall.dialer import do_not_call
from aicall.notify import emit as outbox_emit
from aicall.webhooks.models import WebhookEvent
from tests.integration.dialer.support import (
    add_contacts,
    make_dialer,
    prepare_campaign,
    run_until_idle,
    snapshot,
)
from tests.integration.support import make_tenant

ADD = "/api/v1/public-api/campaign"
DNC = "/api/v1/public-api/dnc"
AUDIT = "/api/v1/public-api/audit"
LISTED = "+84987654321"


def _list(db, tenant, *phones: str) -> int:
    with db.transaction() as session:
        listing = do_not_call.add(
            session, account_id=tenant.account_id, phones=list(phones), source=DncSource.API, now=utc_now()
        )
        from aicall import notify

        notify.emit_all(session, listing.events)
        return listing.stopped_contacts


def _with_webhooks(db, tenant) -> None:
    with db.transaction() as session:
        session.get(Application, tenant.application_id).webhook_url = "https://hooks.example.com/aicall"


def _finished_events(db, application_id: str) -> list[dict]:
    with db.reading() as session:
        rows = session.scalars(
            select(WebhookEvent).where(
                WebhookEvent.application_id == application_id, WebhookEvent.type == "contact.finished"
            )
        ).all()
        return [row.payload for row in rows]


def test_a_listed_number_is_rejected_at_import_as_do_not_call_and_audited(live_server, db, tenant):
    _list(db, tenant, LISTED)
    answer = requests.post(
        live_server.url + ADD,
        json={
            "campaign_id": tenant.campaign_id,
            "contacts": [{"phone_number": "0987654321"}, {"phone_number": "0912345678"}],
        },
        headers=tenant.headers(),
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [c["so_dien_thoai"] for c in body["result"]] == ["+84912345678"]
    assert body["rejected"] == [{"index": 0, "phone_number": LISTED, "reason": "do_not_call"}]
    log = requests.get(
        live_server.url + AUDIT, params={"type": "do_not_call"}, headers=tenant.headers(), timeout=10
    ).json()["result"]
    assert [(e["action"], e["phone_number"], e["campaign_id"], e["rule"]) for e in log["entries"]] == [
        ("rejected_at_import", LISTED, tenant.campaign_id, "do_not_call_list")
    ]
    assert log["entries"][0]["citation"] == "Decree 91/2020/ND-CP, Art. 13, cl. 1"

    only_listed = requests.post(
        live_server.url + ADD,
        json={"campaign_id": tenant.campaign_id, "contacts": [{"phone_number": LISTED}]},
        headers=tenant.headers(),
        timeout=10,
    )
    assert only_listed.json()["code"] == 1403
    assert only_listed.json()["details"] == [{"index": 0, "phone_number": LISTED, "reason": "do_not_call"}]


def test_another_accounts_list_does_not_refuse_the_number(live_server, db, tenant):
    other = make_tenant(db, "Other")
    _list(db, other, LISTED)
    answer = requests.post(
        live_server.url + ADD,
        json={"campaign_id": tenant.campaign_id, "contacts": [{"phone_number": LISTED}]},
        headers=tenant.headers(),
        timeout=10,
    )
    assert answer.status_code == 200 and "rejected" not in answer.json()


def test_listing_a_number_stops_its_waiting_contacts_in_every_campaign_of_the_account(
    live_server, db, tenant
):
    _with_webhooks(db, tenant)
    add_contacts(db, tenant, [LISTED, "+84912345678"])
    other = make_tenant(db, "Other")
    add_contacts(db, other, [LISTED])
    added = requests.post(
        live_server.url + DNC, json={"phone_numbers": ["0987654321"]}, headers=tenant.headers(), timeout=10
    )
    assert added.json()["result"] == {"added": 1, "already_listed": 0, "stopped_contacts": 1}
    with db.reading() as session:
        contacts = {(c.application_id, c.phone): c for c in session.scalars(select(Contact)).all()}
        assert session.scalars(select(CallAttempt)).all() == []  # nothing dialled, nothing charged
    stopped = contacts[(tenant.application_id, LISTED)]
    assert (stopped.status, stopped.compliance_reason, stopped.compliance_rule) == (
        "do_not_call",
        "do_not_call",
        "do_not_call_list",
    )
    assert contacts[(tenant.application_id, "+84912345678")].status == "pending"
    assert contacts[(other.application_id, LISTED)].status == "pending"  # another account's list

    (event,) = _finished_events(db, tenant.application_id)
    assert event["status"] == "do_not_call" and event["contact_id"] == stopped.id
    assert event["compliance"] == {
        "reason": "do_not_call",
        "rule": "do_not_call_list",
        "citation": "Decree 91/2020/ND-CP, Art. 13, cl. 1",
        "until": None,
    }
    shown = requests.get(
        f"{live_server.url}/api/v1/public-api/contacts/{stopped.id}", headers=tenant.headers(), timeout=10
    ).json()["result"]
    assert shown["status"] == "do_not_call" and shown["compliance"]["rule"] == "do_not_call_list"
    log = requests.get(
        live_server.url + AUDIT, params={"type": "do_not_call"}, headers=tenant.headers(), timeout=10
    ).json()["result"]["entries"]
    assert [(e["action"], e["contact_id"]) for e in log] == [("stopped", stopped.id)]


async def test_a_number_listed_between_the_claims_read_and_its_dial_is_not_dialled(db, tenant, tmp_path):
    prepare_campaign(db, tenant, retry={})
    add_contacts(db, tenant, [LISTED, "+84912345671"])
    emitted: list[tuple[str, dict]] = []

    def emit(session, *, application_id, event_type, payload):
        emitted.append((str(event_type), payload))
        outbox_emit(session, application_id=application_id, event_type=event_type, payload=payload)

    def listing_meanwhile(session, **question):
        # The claim has read and locked its contacts; the number is listed now, by another
        # connection on PostgreSQL (the claim's check must see the committed row), in the
        # claim's own transaction on SQLite (whose write lock serialises writers anyway).
        if db.dialect == "postgresql":
            with db.transaction() as other:
                dnc.add(other, account_id=tenant.account_id, phones=[LISTED], source=DncSource.API)
        else:
            dnc.add(session, account_id=tenant.account_id, phones=[LISTED], source=DncSource.API)
        return screen_claim(session, **question)

    dialer = make_dialer(db, tmp_path, emit=emit)
    dialer.gate = listing_meanwhile
    await dialer.router.start()
    try:
        await run_until_idle(dialer)
    finally:
        await dialer.router.close()
    snap = snapshot(db, tenant)
    assert LISTED not in snap.attempts  # never dialled
    assert snap.contacts[LISTED].status == "do_not_call"
    assert snap.contacts["+84912345671"].status == "done"
    finished = [p for t, p in emitted if t == "contact.finished" and p["phone_number"] == LISTED]
    assert finished and finished[0]["compliance"]["reason"] == "do_not_call"
    with db.reading() as session:
        from aicall.compliance.models import AuditEntry

        actions = [e.action for e in session.scalars(select(AuditEntry).where(AuditEntry.phone == LISTED))]
    assert "skipped_at_claim" in actions
