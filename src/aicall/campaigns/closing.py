"""Closing a campaign (stopped, cancelled, or past its end date)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from aicall.campaigns.models import Campaign, CampaignStatus, Contact, ContactStatus

DUE_STATUSES = (ContactStatus.PENDING.value, ContactStatus.RETRY_WAIT.value)


def finish_campaign(
    session: Session,
    campaign: Campaign,
    status: CampaignStatus,
    now: datetime,
    events: list[tuple[str, str, dict[str, Any]]],
    *,
    reason: str | None = None,
) -> None:
    """Close a campaign: contacts not yet called are cancelled; calls in flight finish."""
    session.execute(
        update(Contact)
        .where(Contact.campaign_id == campaign.id, Contact.status.in_(DUE_STATUSES))
        .values(status=ContactStatus.CANCELLED.value, updated_at=now)
    )
    campaign.status = status.value
    campaign.finished_at = now
    events.append(
        (
            campaign.application_id,
            f"campaign.{status.value}",
            {
                "campaign_id": campaign.id,
                "name": campaign.name,
                "status": status.value,
                "reason": reason,
                "at": now.isoformat(),
            },
        )
    )
