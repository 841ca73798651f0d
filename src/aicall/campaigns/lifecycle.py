"""Campaign status transitions: start, pause, resume, stop, cancel.

    draft ──start──> running ──pause──> paused ──resume──> running
      │                 │                  │
      └──── stop / cancel (from any open status) ──> completed / cancelled

`stop` completes the campaign: contacts not yet called are cancelled, calls in flight finish.
`cancel` does the same and marks the campaign cancelled. Both are final.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from aicall.campaigns.closing import finish_campaign
from aicall.campaigns.models import Campaign, CampaignStatus
from aicall.campaigns.settings import effective
from aicall.errors import CampaignNotReady, CampaignStateError
from aicall.hotlines import service as hotline_service
from aicall.scenarios import snapshot, validation
from aicall.scenarios.models import Scenario

Event = tuple[str, str, dict[str, Any]]


def _event(campaign: Campaign, kind: str, now: datetime, reason: str | None = None) -> Event:
    return (
        campaign.application_id,
        f"campaign.{kind}",
        {
            "campaign_id": campaign.id,
            "name": campaign.name,
            "status": campaign.status,
            "reason": reason,
            "at": now.isoformat(),
        },
    )


def check_ready(session: Session, campaign: Campaign, account_id: str) -> None:
    """Refuse to start a campaign that could not dial, with every reason."""
    reasons: list[dict[str, str]] = []
    call_config = None
    if campaign.scenario_id:
        scenario = session.get(Scenario, campaign.scenario_id)
        if scenario is None or scenario.application_id != campaign.application_id:
            reasons.append({"field": "scenario_id", "message": "the scenario does not exist"})
        else:
            call_config = scenario.call_config
            if scenario.published_version is None:
                reasons.append(
                    {
                        "field": "scenario_id",
                        "message": (
                            f"the scenario is {scenario.status}: "
                            "only an approved (ACTIVE) scenario can be dialled"
                        ),
                    }
                )
            else:
                script = snapshot.load_script(session, scenario.id, allow_unapproved=False)
                reasons += [problem.to_dict() for problem in validation.check_script(script)]
    try:
        settings = effective(campaign.settings, call_config)
    except ValueError as exc:
        reasons.append({"field": "settings", "message": str(exc)})
    else:
        if (
            hotline_service.find_pool(session=session, account_id=account_id, key=settings.pool_hotline_key)
            is None
        ):
            reasons.append(
                {
                    "field": "settings.pool_hotline_key",
                    "message": f"no hotline pool has key {settings.pool_hotline_key!r}",
                }
            )
    if reasons:
        summary = "; ".join(f"{r['field']}: {r['message']}" for r in reasons)
        raise CampaignNotReady(f"The campaign cannot start: {summary}", details=reasons)


def start(session: Session, campaign: Campaign, *, account_id: str, now: datetime) -> list[Event]:
    if campaign.status == CampaignStatus.RUNNING.value:
        return []
    if campaign.status not in (CampaignStatus.DRAFT.value, CampaignStatus.PAUSED.value):
        raise CampaignStateError(f"A {campaign.status} campaign cannot be started")
    check_ready(session, campaign, account_id)
    resumed = campaign.status == CampaignStatus.PAUSED.value
    campaign.status = CampaignStatus.RUNNING.value
    campaign.pause_reason = None
    campaign.started_at = campaign.started_at or now
    return [_event(campaign, "resumed" if resumed else "started", now)]


def pause(session: Session, campaign: Campaign, *, now: datetime, reason: str = "manual") -> list[Event]:
    if campaign.status == CampaignStatus.PAUSED.value:
        return []
    if campaign.status != CampaignStatus.RUNNING.value:
        raise CampaignStateError(f"A {campaign.status} campaign cannot be paused")
    campaign.status = CampaignStatus.PAUSED.value
    campaign.pause_reason = reason
    return [_event(campaign, "paused", now, reason)]


def resume(session: Session, campaign: Campaign, *, account_id: str, now: datetime) -> list[Event]:
    if campaign.status != CampaignStatus.PAUSED.value:
        raise CampaignStateError(f"A {campaign.status} campaign cannot be resumed")
    return start(session, campaign, account_id=account_id, now=now)


def close(session: Session, campaign: Campaign, *, status: CampaignStatus, now: datetime) -> list[Event]:
    if campaign.status in (CampaignStatus.COMPLETED.value, CampaignStatus.CANCELLED.value):
        raise CampaignStateError(f"The campaign is already {campaign.status}")
    events: list[Event] = []
    finish_campaign(session, campaign, status, now, events, reason="manual")
    return events
