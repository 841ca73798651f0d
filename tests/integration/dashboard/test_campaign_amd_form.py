"""The campaign page's voicemail settings (issue 15) over real HTTP, on SQLite and PostgreSQL: an
admin turns answering-machine detection on, picks the mode and one of the scenario's
PLAY_MESSAGE actions as the message; the settings the API reads change; a message that is no
longer in the scenario is refused next to its field."""

from __future__ import annotations

from typing import Any

from aicall.campaigns.models import Campaign
from aicall.campaigns.settings import CampaignSettings
from aicall.dashboard.pages import campaign_forms
from aicall.scenarios import actions as scenario_actions
from aicall.scenarios import service as scenario_service
from aicall.scenarios.schemas import ActionCreate, ScenarioCreate
from tests.integration.dashboard import test_admin_pages
from tests.integration.dashboard.test_admin_pages import People, field_error, location

people = test_admin_pages.people  # the signed-in admin, member and stranger (a fixture)


def _scenario_with_a_message(people: People) -> str:
    """The tenant's campaign gets a scenario with a PLAY_MESSAGE action; its id."""
    with people.db.transaction() as session:
        application_id = people.tenant.application_id
        scenario = scenario_service.create_scenario(
            session=session,
            application_id=application_id,
            data=ScenarioCreate.model_validate({"name": "Nhắc lịch"}),
        )
        message = scenario_actions.create_action(
            session=session,
            application_id=application_id,
            data=ActionCreate.model_validate(
                {
                    "scenarioId": scenario.id,
                    "label": "Lời nhắn",
                    "type": "PLAY_MESSAGE",
                    "contentText": "Gọi lại sau.",
                }
            ),
        )
        campaign = session.get(Campaign, people.tenant.campaign_id)
        assert campaign is not None
        campaign.scenario_id = scenario.id
        return message.id


def _form(**changes: Any) -> dict[str, Any]:
    """The settings form as the page fills it for default settings, with `changes`."""
    values = {**campaign_forms.settings_values(CampaignSettings()), **changes}
    form = {k: v for k, v in values.items() if not isinstance(v, bool)}
    form.update({k: "on" for k, v in values.items() if v is True})
    return form


def _settings(people: People) -> dict[str, Any]:
    with people.db.reading() as session:
        campaign = session.get(Campaign, people.tenant.campaign_id)
        assert campaign is not None
        return dict(campaign.settings or {})


def test_an_admin_turns_on_detection_and_leaves_the_scenarios_message(people: People) -> None:
    message_id = _scenario_with_a_message(people)
    page = f"/campaigns/{people.tenant.campaign_id}"
    assert f'value="{message_id}"' in people.admin.get(page).text  # offered in the voicemail select

    saved = people.admin.post(
        f"{page}/settings", _form(amd=True, amd_mode="async", voicemail_message_action_id=message_id)
    )

    assert location(saved).startswith(page)
    stored = _settings(people)
    assert (stored["amd"], stored["amd_mode"], stored["voicemail_action"]) == (True, "async", "leave_message")
    assert stored["voicemail_message_action_id"] == message_id
    shown = people.admin.get(page).text
    assert f'<option value="{message_id}" selected>' in shown and '<option value="async" selected>' in shown

    people.admin.post(f"{page}/settings", _form(amd=True, voicemail_message_action_id=""))
    assert _settings(people)["voicemail_action"] == "hangup"


def test_a_message_that_is_not_in_the_scenario_is_refused_next_to_its_field(people: People) -> None:
    _scenario_with_a_message(people)

    refused = people.admin.post(
        f"/campaigns/{people.tenant.campaign_id}/settings",
        _form(amd=True, voicemail_message_action_id="gone"),
    )

    assert refused.status_code == 400
    assert "gone" in field_error(refused.text, "voicemail_message_action_id")
    assert "amd" not in _settings(people)
