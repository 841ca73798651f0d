"""Campaigns as an account's people see them (the dashboard): every application of the account.

The public API scopes by application (CONTRACT §1: a token names one application); a dashboard
user belongs to an account and sees all of its applications' campaigns. A campaign of another
account is reported exactly as a missing one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aicall.accounts.models import Application
from aicall.campaigns.models import Campaign, Contact, ContactStatus

_FINISHED = (
    ContactStatus.DONE.value,
    ContactStatus.FAILED.value,
    ContactStatus.CANCELLED.value,
    ContactStatus.DO_NOT_CALL.value,
)


@dataclass(frozen=True, slots=True)
class CampaignRow:
    """One line of the campaigns list: progress is `finished` of `contacts`."""

    id: str
    name: str
    status: str
    pause_reason: str | None
    application_id: str
    application_name: str
    contacts: int
    finished: int
    reached: int
    created_at: datetime

    @property
    def progress(self) -> float | None:
        """Share of contacts in a final status, 0..1 (None for an empty campaign)."""
        return self.finished / self.contacts if self.contacts else None

    @property
    def answer_rate(self) -> float | None:
        """Share of finished contacts that were reached (status done), 0..1."""
        return self.reached / self.finished if self.finished else None


def campaign_of_account(session: Session, *, account_id: str, campaign_id: str) -> Campaign | None:
    """The campaign if it belongs to one of the account's applications, else None."""
    return session.scalars(
        select(Campaign)
        .join(Application, Application.id == Campaign.application_id)
        .where(Campaign.id == campaign_id, Application.account_id == account_id)
    ).first()


def list_for_account(session: Session, *, account_id: str, limit: int = 200) -> list[CampaignRow]:
    """The account's campaigns, newest first, with contact counts (one grouped query)."""
    campaigns = session.execute(
        select(Campaign, Application.name)
        .join(Application, Application.id == Campaign.application_id)
        .where(Application.account_id == account_id)
        .order_by(Campaign.created_at.desc(), Campaign.id)
        .limit(limit)
    ).all()
    ids = [campaign.id for campaign, _ in campaigns]
    totals: dict[str, dict[str, int]] = {}
    if ids:
        for campaign_id, status, count in session.execute(
            select(Contact.campaign_id, Contact.status, func.count())
            .where(Contact.campaign_id.in_(ids))
            .group_by(Contact.campaign_id, Contact.status)
        ):
            totals.setdefault(campaign_id, {})[status] = int(count)
    rows = []
    for campaign, app_name in campaigns:
        by_status = totals.get(campaign.id, {})
        rows.append(
            CampaignRow(
                id=campaign.id,
                name=campaign.name,
                status=campaign.status,
                pause_reason=campaign.pause_reason,
                application_id=campaign.application_id,
                application_name=app_name,
                contacts=sum(by_status.values()),
                finished=sum(by_status.get(s, 0) for s in _FINISHED),
                reached=by_status.get(ContactStatus.DONE.value, 0),
                created_at=campaign.created_at,
            )
        )
    return rows
