"""The dashboard refuses to start a campaign without a scenario, as the API does (1406), and says
why: on the campaign's page (its start button) and on the new-campaign form ("start at once"),
next to the scenario field. On SQLite and PostgreSQL, over real HTTP."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

from sqlalchemy import select

from aicall.campaigns.models import Campaign
from aicall.campaigns.settings import CampaignSettings
from aicall.dashboard.pages import campaign_forms
from aicall.hotlines import service as hotline_service
from tests.integration.dashboard import test_admin_pages
from tests.integration.dashboard.test_admin_pages import People, field_error

people = test_admin_pages.people  # the signed-in admin, member and stranger (a fixture)


def _action_error(html: str) -> str:
    found = re.search(r'<p class="form-error action-error" role="alert">(.*?)</p>', html, re.S)
    assert found is not None, "no error above the buttons"
    return unescape(found.group(1))


def _system_pool(people: People) -> None:
    with people.db.transaction() as session:
        hotline_service.ensure_system_pool(session=session)


def test_the_start_button_of_a_campaign_without_a_scenario_says_why(people: People) -> None:
    _system_pool(people)
    campaign_id = people.tenant.campaign_id
    refused = people.admin.post(f"/campaigns/{campaign_id}/start")
    assert refused.status_code == 400
    error = _action_error(refused.text)
    assert error.startswith("Chiến dịch chưa thể bắt đầu.")
    assert "Chiến dịch chưa có kịch bản (không có gì để nói với người được gọi)" in error
    with people.db.reading() as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None and campaign.status == "draft"


def test_the_new_campaign_form_does_not_start_one_without_a_scenario(people: People) -> None:
    _system_pool(people)
    values: dict[str, Any] = campaign_forms.settings_values(CampaignSettings())
    form = {k: v for k, v in values.items() if not isinstance(v, bool)}
    form.update(
        {
            "name": "Không kịch bản",
            "application_id": people.tenant.application_id,
            "scenario_id": "",
            "start": "on",
        }
    )
    refused = people.admin.post("/campaigns/new", form)
    assert refused.status_code == 400
    assert field_error(refused.text, "scenario_id").startswith("Chiến dịch chưa có kịch bản")
    assert "Chiến dịch chưa thể bắt đầu." in refused.text
    with people.db.reading() as session:  # nothing created
        names = session.scalars(
            select(Campaign.name).where(Campaign.application_id == people.tenant.application_id)
        ).all()
    assert "Không kịch bản" not in names
