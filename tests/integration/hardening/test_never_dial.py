"""Issue 11, "never dial someone we cannot speak to": a contact without a value a prompt reads
is refused at import (field named) unless the field has a default; one the dialer finds it
cannot speak to (the scenario changed since) is not dialled: it ends `failed` saying why,
`contact.finished` says so, and nothing is charged. The README's sample works as written."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import select

from aicall.accounts.models import Account, LedgerEntry
from aicall.accounts.secrets_box import SecretBox
from aicall.calls.models import CallAttempt
from aicall.campaigns import service as campaign_service
from aicall.campaigns.models import Contact
from aicall.db.engine import Database
from aicall.demo import ensure_demo
from aicall.scenarios.snapshot import load_script
from aicall.speech.readiness import first_unspeakable
from tests.integration.dialer.support import make_dialer, prepare_campaign, run_until_idle
from tests.integration.hardening.helpers import API
from tests.integration.support import SECRET_KEY, LiveServer, Tenant

README = Path(__file__).resolve().parents[3] / "README.md"
FIELDS = [
    {"name": "Họ tên", "readingType": "TEXT"},
    {"name": "Số tiền", "readingType": "CURRENCY"},
    {"name": "Ghi chú", "readingType": "TEXT"},  # no prompt reads it
]


def _call(server: LiveServer, tenant: Tenant, method: str, path: str, body: Any = None, **params: Any):
    return requests.request(
        method,
        server.url + API + path,
        json=body,
        params=params or None,
        headers=tenant.headers(),
        timeout=30,
    )


def _scenario_campaign(server: LiveServer, tenant: Tenant, db: Database) -> tuple[str, str]:
    scenario = _call(server, tenant, "POST", "/scenarios", {"name": "Nhắc nợ", "personalizedFields": FIELDS})
    scenario_id = scenario.json()["result"]["id"]
    actions = _call(server, tenant, "GET", "/scenario-actions", scenarioId=scenario_id).json()["result"]
    start = next(a for a in actions if a["label"] == "start")
    updated = _call(
        server,
        tenant,
        "PUT",
        f"/scenario-actions/{start['id']}",
        {"contentText": "Xin chào {{ho_ten}}, khoản {{Số tiền}} sắp đến hạn."},
    )
    assert updated.status_code == 200, updated.text
    with db.transaction() as session:
        campaign = campaign_service.create_campaign(
            session=session, application_id=tenant.application_id, name="c", scenario_id=scenario_id
        )
        return scenario_id, campaign.id


def test_a_contact_missing_a_value_a_prompt_reads_is_refused_at_import_naming_the_field(
    live_server: LiveServer, tenant: Tenant, db: Database
):
    scenario_id, campaign_id = _scenario_campaign(live_server, tenant, db)
    contacts = [
        {"phone_number": "0987654321", "ho_ten": "Lan", "so_tien": "150000"},
        {"phone_number": "0987654322", "ho_ten": "Minh"},
        {"phone_number": "0987654323", "ho_ten": "Hoa", "so_tien": None},
        {"phone_number": "0987654324", "so_tien": "150000", "ghi_chu": "no name"},
    ]
    answer = _call(
        live_server, tenant, "POST", "/campaign", {"campaign_id": campaign_id, "contacts": contacts}
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [c["so_dien_thoai"] for c in body["result"]] == ["+84987654321"]
    reasons = {r["index"]: r["reason"] for r in body["rejected"]}
    assert set(reasons) == {1, 2, 3}
    assert "so_tien" in reasons[1] and "Số tiền" in reasons[1] and "missing" in reasons[1]
    assert "so_tien" in reasons[2]
    assert "ho_ten" in reasons[3] and "Họ tên" in reasons[3]

    # A default on the field stands in for the value: such contacts are accepted then.
    fields = [FIELDS[0], {**FIELDS[1], "default": "0"}, FIELDS[2]]
    changed = _call(live_server, tenant, "PUT", f"/scenarios/{scenario_id}", {"personalizedFields": fields})
    assert changed.status_code == 200, changed.text
    assert changed.json()["result"]["personalized_fields"][1]["default"] == "0"
    again = _call(
        live_server, tenant, "POST", "/campaign", {"campaign_id": campaign_id, "contacts": contacts[1:3]}
    )
    assert again.status_code == 200 and "rejected" not in again.json(), again.text


def test_a_default_must_be_readable_by_its_fields_type(live_server: LiveServer, tenant: Tenant):
    answer = _call(
        live_server,
        tenant,
        "POST",
        "/scenarios",
        {
            "name": "s",
            "personalizedFields": [{"name": "Số tiền", "readingType": "CURRENCY", "default": "nhiều"}],
        },
    )
    assert answer.status_code == 400, answer.text
    assert answer.json()["details"][0]["field"] == "personalizedFields[0].default"


async def test_a_contact_the_dialer_cannot_speak_to_is_not_dialled_fails_and_is_not_charged(
    db: Database, tenant: Tenant, tmp_path
):
    prepare_campaign(db, tenant, retry={"failed": {"max_attempts": 3, "interval": 0}})
    with db.transaction() as session:
        account = session.get(Account, tenant.account_id)
        assert account is not None
        account.charge_unanswered = True  # even then: a number never dialled costs nothing
        balance_before = account.balance
    # Added while the campaign's scenario read nothing; the script the dialer runs reads ho_ten.
    status, body = campaign_service.add_contacts(
        db=db,
        application_id=tenant.application_id,
        payload={"campaign_id": tenant.campaign_id, "contacts": [{"phone_number": "+84987654321"}]},
        idempotency_key=None,
        max_contacts=10,
        region="VN",
    )
    assert status == 200, body
    emitted: list[dict[str, Any]] = []
    dialer = make_dialer(db, tmp_path, emit=lambda _session, **event: emitted.append(event))
    await dialer.router.start()
    try:
        await run_until_idle(dialer)
    finally:
        await dialer.router.close()
    with db.reading() as session:
        contact = session.scalars(select(Contact).where(Contact.campaign_id == tenant.campaign_id)).one()
        attempts = session.scalars(select(CallAttempt).where(CallAttempt.contact_id == contact.id)).all()
        account = session.get(Account, tenant.account_id)
        charges = session.scalars(
            select(LedgerEntry).where(LedgerEntry.account_id == tenant.account_id)
        ).all()
    assert contact.status == "failed"  # not retried, whatever the retry rule for `failed`
    [attempt] = attempts
    assert attempt.sip_code is None and attempt.answered_at is None and attempt.cost == 0
    assert re.fullmatch(r"not dialled: no value for field 'Họ tên' \(ho_ten\)", attempt.error or ""), (
        attempt.error
    )
    assert account is not None and account.balance == balance_before and account.reserved == 0
    assert all(entry.amount >= 0 for entry in charges)
    finished = [e for e in emitted if e["event_type"] == "contact.finished"]
    assert len(finished) == 1
    assert finished[0]["payload"]["status"] == "failed"
    assert finished[0]["payload"]["reason"] == attempt.error


def test_the_readme_python_sample_adds_a_contact_the_demo_can_speak_to(live_server: LiveServer, db: Database):
    with db.transaction() as session:
        demo = ensure_demo(session=session, box=SecretBox(SECRET_KEY))
    sample = re.search(r"```python\n(.*?)```", README.read_text(), re.DOTALL)
    assert sample, "README has no Python sample"
    namespace: dict[str, Any] = {
        "API_KEY": demo.api_key,
        "API_SECRET": demo.api_secret,
        "BASE_URL": live_server.url,
        "CAMPAIGN_ID": demo.campaign_id,
    }
    code = sample.group(1).replace("requests.post(", "answer = requests.post(", 1)
    exec(code, namespace)  # the README's own sample, run as a reader would
    answer = namespace["answer"]
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["status"] == 1 and "rejected" not in body, body
    [added] = body["result"]
    with db.reading() as session:
        script = load_script(session, demo.scenario_id)
        contact = session.get(Contact, added["contact_id"])
        assert contact is not None
    assert first_unspeakable(script, contact.tags) is None
