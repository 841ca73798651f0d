"""Issue 11, class 3: text no database can store (NUL, lone surrogates) is refused in every text
input of every endpoint, 400 naming the field, before anything is written; and a row that
holds such text anyway does not break the list it is in."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from sqlalchemy import func, select, text

from aicall.campaigns.models import Contact
from aicall.db.engine import Database
from tests.integration.hardening.helpers import API
from tests.integration.support import LiveServer, Tenant

BAD = {"nul": "Lan\u0000", "surrogate": "Lan\ud800"}


def _count(db: Database) -> int:
    with db.reading() as session:
        return int(session.scalar(select(func.count()).select_from(Contact)) or 0)


def _refused(answer: requests.Response, field: str) -> None:
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert body["status"] == 0 and body["code"] == 400
    assert body["message"].startswith(f"Validation Failed: {field}: "), body["message"]
    assert body["details"][0]["field"] == field


def _bodies(tenant: Tenant, bad: str) -> list[tuple[str, str, dict[str, Any], str | None]]:
    """(method, path, body, field named) with `bad` in one text field of each JSON endpoint."""
    phone = {"phone_number": "0987654321"}
    campaign = tenant.campaign_id
    return [
        ("POST", "/campaign", {"campaign_id": campaign, "contacts": [{**phone, "x": bad}]}, "contacts[0].x"),
        ("POST", "/campaign", {"campaign_id": campaign, "contacts": [{**phone, bad: "x"}]}, None),
        ("POST", "/campaign", {"campaign_id": bad, "contacts": [phone]}, "campaign_id"),
        ("POST", "/campaigns", {"name": bad}, "name"),
        ("PUT", f"/campaigns/{campaign}", {"settings": {"timezone": bad}}, "settings.timezone"),
        ("POST", "/scenarios", {"name": "ok", "description": bad}, "description"),
        ("POST", "/scenarios", {"name": "ok", "personalizedFields": [{"name": bad}]}, "personalizedFields[0].name"),  # noqa: E501
        ("POST", "/hotline-pools", {"key": bad, "numbers": ["0987654321"]}, "key"),
        ("POST", "/sip-trunks", {"host": "sip.example.com", "username": bad}, "username"),
        ("PUT", "/webhooks", {"webhook_url": "https://example.com/" + bad}, "webhook_url"),
        ("POST", "/scenario-actions", {"scenarioId": "x", "contentText": bad}, "contentText"),
    ]  # fmt: skip


@pytest.mark.parametrize("kind", sorted(BAD))
def test_every_json_text_field_refuses_unstorable_text_naming_it(
    live_server: LiveServer, tenant: Tenant, db: Database, kind: str
):
    before = _count(db)
    for method, path, body, field in _bodies(tenant, BAD[kind]):
        answer = requests.request(
            method, live_server.url + API + path, json=body, headers=tenant.headers(), timeout=30
        )
        if field is None:  # a bad key: named escaped, never echoed raw
            assert answer.status_code == 400, answer.text
            assert answer.json()["message"].startswith("Validation Failed: contacts[0]."), answer.text
        else:
            _refused(answer, field)
    assert _count(db) == before


def test_unstorable_text_in_a_query_or_path_parameter_is_refused_naming_it(
    live_server: LiveServer, tenant: Tenant
):
    base = f"{live_server.url}{API}/campaigns/{tenant.campaign_id}/contacts"
    _refused(requests.get(base + "?phoneNumber=09%00", headers=tenant.headers(), timeout=30), "phoneNumber")
    _refused(
        requests.get(f"{live_server.url}{API}/contacts/ab%00cd", headers=tenant.headers(), timeout=30),
        "contact_id",
    )
    _refused(
        requests.get(f"{live_server.url}{API}/scenarios?status=%00", headers=tenant.headers(), timeout=30),
        "status",
    )


def test_unstorable_text_in_a_form_field_is_refused_naming_it(live_server: LiveServer):
    answer = requests.post(
        live_server.url + "/login", data={"email": "a\u0000@b.c", "password": "x"}, timeout=30
    )
    _refused(answer, "email")


def test_a_stored_row_with_a_lone_surrogate_does_not_break_the_contact_list(
    live_server: LiveServer, tenant: Tenant, db: Database
):
    if db.dialect != "sqlite":
        pytest.skip("PostgreSQL refuses a lone surrogate outright; SQLite stores what it is given")
    added = requests.post(
        f"{live_server.url}{API}/campaign",
        json={
            "campaign_id": tenant.campaign_id,
            "contacts": [
                {"phone_number": "0987654321", "ho_ten": "Lan"},
                {"phone_number": "0987654322", "ho_ten": "Minh"},
            ],
        },
        headers=tenant.headers(),
        timeout=30,
    ).json()["result"]
    # Written as an older version (or another tool) could have: past today's input checks.
    with db.transaction() as session:
        session.execute(
            text("UPDATE contacts SET tags = :tags WHERE id = :id"),
            {"tags": '{"ho_ten": "Lan\\ud800"}', "id": added[0]["contact_id"]},
        )
    listed = requests.get(
        f"{live_server.url}{API}/campaigns/{tenant.campaign_id}/contacts",
        headers=tenant.headers(),
        timeout=30,
    )
    assert listed.status_code == 200, listed.text
    names = sorted(c["tags"]["ho_ten"] for c in listed.json()["result"]["contacts"])
    assert names == ["Lan\ufffd", "Minh"]
    one = requests.get(
        f"{live_server.url}{API}/contacts/{added[0]['contact_id']}", headers=tenant.headers(), timeout=30
    )
    assert one.status_code == 200 and one.json()["result"]["tags"]["ho_ten"] == "Lan\ufffd"
