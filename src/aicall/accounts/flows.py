"""Balance work that reaches into campaigns: a top-up resumes what a lack of balance paused."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from aicall import notify
from aicall.accounts import ledger
from aicall.accounts.models import Application
from aicall.campaigns.models import Campaign, CampaignStatus
from aicall.clock import utc_now
from aicall.dialer.claims import PAUSE_NO_BALANCE


def topup(*, session: Session, account_id: str, amount: int, note: str | None = None) -> int:
    """Add credit; campaigns paused for insufficient balance run again. Return the balance."""
    balance = ledger.topup(session=session, account_id=account_id, amount=amount, note=note)
    now = utc_now()
    paused = session.scalars(
        select(Campaign)
        .join(Application, Application.id == Campaign.application_id)
        .where(
            Application.account_id == account_id,
            Campaign.status == CampaignStatus.PAUSED.value,
            Campaign.pause_reason == PAUSE_NO_BALANCE,
        )
    ).all()
    for campaign in paused:
        campaign.status = CampaignStatus.RUNNING.value
        campaign.pause_reason = None
        notify.emit(
            session,
            application_id=campaign.application_id,
            event_type="campaign.resumed",
            payload={
                "campaign_id": campaign.id,
                "name": campaign.name,
                "status": "running",
                "reason": "topup",
                "at": now.isoformat(),
            },
        )
    return balance
