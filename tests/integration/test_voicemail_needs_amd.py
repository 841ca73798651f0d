"""A voicemail message with answering-machine detection off can never be left (nothing tells a
voicemail from a person), so it is refused where it is written, on SQLite and PostgreSQL: by the
API in its envelope with the field named, and by the dashboard's campaign form next to the
voicemail input. A campaign stored before the rule still reads and changes its other settings."""

from __future__ import annotations

from typing import Any

import requests

from aicall.campaigns.models import Campaign
from aicall.db.engine import Database
from tests.integration.dashboard import test_admin_pages
from tests.integration.dashboard.test_admin_pages import People, field_error
from tests.integration.dashboard.test_campaign_amd_form import _form, _scenario_with_a_message
from tests.integration.support import LiveServer, Tenant

API = "/api/v1/public-api"
LEAVE = {"voicemailAction": "leave_message", "voicemailMessageActionId": "vm"}
people = test_admin_pages.people  # the signed-in admin, member and stranger (a fixture)


def call(server: LiveServer, tenant: Tenant, method: str, path: str, body: Any) -> requests.Response:
    return requests.request(method, server.url + API + path, headers=tenant.headers(), json=body, timeout=30)


def stored(db: Database, campaign_id: str) -> dict[str, Any]:
    with db.reading() as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        return dict(campaign.settings or {})


def test_a_new_campaign_leaving_a_message_without_detection_is_refused(
    live_server: LiveServer, tenant: Tenant
) -> None:
    refused = call(live_server, tenant, "POST", "/campaigns", {"name": "x", "settings": LEAVE})

    assert refused.status_code == 400, refused.text
    body = refused.json()
    assert (body["status"], body["code"]) == (0, 400)
    assert body["message"].startswith("Validation Failed: settings.voicemail_action: ")
    [detail] = body["details"]
    assert detail["field"] == "settings.voicemail_action"
    assert "needs amd true" in detail["message"]
    created = call(
        live_server, tenant, "POST", "/campaigns", {"name": "y", "settings": {**LEAVE, "amd": True}}
    )
    assert created.status_code == 200, created.text
    assert created.json()["result"]["settings"]["voicemail_action"] == "leave_message"


def test_turning_detection_off_under_a_message_is_refused_and_nothing_changes(
    live_server: LiveServer, tenant: Tenant, db: Database
) -> None:
    path = f"/campaigns/{tenant.campaign_id}"
    assert call(live_server, tenant, "PUT", path, {"settings": {**LEAVE, "amd": True}}).status_code == 200

    refused = call(live_server, tenant, "PUT", path, {"settings": {"amd": False}})

    assert refused.status_code == 400, refused.text
    assert refused.json()["details"][0]["field"] == "settings.voicemail_action"
    assert stored(db, tenant.campaign_id)["amd"] is True
    # Hanging up instead, with detection off, is fine.
    both = {"amd": False, "voicemailAction": "hangup"}
    assert call(live_server, tenant, "PUT", path, {"settings": both}).status_code == 200


def test_a_campaign_stored_before_the_rule_still_changes_its_other_settings(
    live_server: LiveServer, tenant: Tenant, db: Database
) -> None:
    with db.transaction() as session:
        campaign = session.get(Campaign, tenant.campaign_id)
        assert campaign is not None
        campaign.settings = {"voicemail_action": "leave_message", "voicemail_message_action_id": "vm"}
    path = f"/campaigns/{tenant.campaign_id}"

    changed = call(live_server, tenant, "PUT", path, {"settings": {"maxConcurrent": 3}})

    assert changed.status_code == 200, changed.text
    assert changed.json()["result"]["settings"]["max_concurrent"] == 3


def test_the_campaign_form_refuses_a_message_without_detection_next_to_the_voicemail_input(
    people: People,
) -> None:
    message_id = _scenario_with_a_message(people)
    page = f"/campaigns/{people.tenant.campaign_id}/settings"

    refused = people.admin.post(page, _form(voicemail_message_action_id=message_id))  # amd unticked

    assert refused.status_code == 400
    assert "cần bật phát hiện máy trả lời tự động" in field_error(refused.text, "voicemail_message_action_id")
    assert "voicemail_action" not in stored(people.db, people.tenant.campaign_id)
    people.admin.http.cookies.set("aicall_lang", "en")
    english = people.admin.post(page, _form(voicemail_message_action_id=message_id))
    assert "needs answering-machine detection turned on" in field_error(
        english.text, "voicemail_message_action_id"
    )
