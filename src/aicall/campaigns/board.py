"""Everything the dashboard's campaign page shows, read in one session: the live figures, why
contacts wait, the chart of calls and the effective settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from aicall.accounts.models import Application
from aicall.campaigns import activity, overview, queries
from aicall.campaigns.models import Campaign
from aicall.campaigns.settings import CampaignSettings
from aicall.campaigns.waiting import Waiting
from aicall.scenarios.models import Scenario

__all__ = ["Board", "load"]


@dataclass(frozen=True, slots=True)
class Board:
    campaign: Campaign
    application_name: str
    scenario_name: str | None
    settings: CampaignSettings | None  # None when they no longer validate (see settings_error)
    settings_error: str | None
    summary: overview.Summary
    queue: overview.Queue
    waiting: Waiting | None  # why the dialer takes nobody now; None: it dials (or it is closed)
    chart: activity.Chart

    @property
    def pause(self) -> overview.PauseInfo | None:
        return overview.pause_info(self.campaign.pause_reason)


def load(session: Session, *, campaign: Campaign, now: datetime) -> Board:
    """The campaign page's read model at `now` (the caller checked the campaign is the person's)."""
    application = session.get(Application, campaign.application_id)
    scenario = session.get(Scenario, campaign.scenario_id) if campaign.scenario_id else None
    settings: CampaignSettings | None
    try:
        settings, settings_error = queries.settings_of(session, campaign), None
    except ValueError as exc:
        settings, settings_error = None, str(exc)
    return Board(
        campaign=campaign,
        application_name=application.name if application else "",
        scenario_name=scenario.name if scenario else None,
        settings=settings,
        settings_error=settings_error,
        summary=overview.summary(session, campaign_id=campaign.id),
        queue=overview.queue(session, campaign_id=campaign.id, now=now),
        waiting=queries.waiting_of(session, campaign, now=now),
        chart=activity.calls_over_time(session, campaign_id=campaign.id, now=now),
    )
