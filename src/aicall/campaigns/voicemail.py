"""The voicemail message a campaign leaves with answering-machine detection (issue 15): an
action of its scenario, checked when the campaign is saved and again when it starts."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from aicall.campaigns.models import Campaign
from aicall.campaigns.settings import CampaignSettings, voicemail_message_problem
from aicall.scenarios.models import ScenarioAction

__all__ = ["FIELD", "message_choices", "message_problem"]

FIELD = "settings.voicemail_message_action_id"  # where an API error points


def message_problem(session: Session, campaign: Campaign, settings: CampaignSettings) -> str | None:
    """Why `voicemail_message_action_id` names no PLAY_MESSAGE action of the campaign's scenario
    (as it is now), or None; None too while the campaign has no scenario (it cannot start then)."""
    if settings.voicemail_action != "leave_message" or campaign.scenario_id is None:
        return None
    rows = session.execute(
        select(ScenarioAction.id, ScenarioAction.type).where(
            ScenarioAction.scenario_id == campaign.scenario_id
        )
    ).all()
    return voicemail_message_problem(settings, {row.id: row.type for row in rows})


def message_choices(session: Session, campaign: Campaign) -> list[tuple[str, str]]:
    """The PLAY_MESSAGE actions of the campaign's scenario, as (id, label or opening words), by
    label: what a voicemail may be left (none without a scenario)."""
    if campaign.scenario_id is None:
        return []
    rows = session.execute(
        select(ScenarioAction.id, ScenarioAction.label, ScenarioAction.content_text).where(
            ScenarioAction.scenario_id == campaign.scenario_id, ScenarioAction.type == "PLAY_MESSAGE"
        )
    ).all()
    choices = [(row.id, row.label or (row.content_text or "")[:40] or row.id) for row in rows]
    return sorted(choices, key=lambda choice: choice[1])
