"""The demo tenant `aicall init --demo` creates: an account with balance, an application and a
campaign (created once; later runs find and print the same ones)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from aicall.accounts import service as account_service
from aicall.accounts.models import Account, Application
from aicall.accounts.secrets_box import SecretBox
from aicall.campaigns import service as campaign_service
from aicall.campaigns.models import Campaign

DEMO_ACCOUNT = "Demo account"
DEMO_APPLICATION = "Demo application"
DEMO_CAMPAIGN = "Demo campaign"


@dataclass(frozen=True, slots=True)
class DemoTenant:
    account_id: str
    application_id: str
    api_key: str
    api_secret: str
    webhook_secret: str | None
    campaign_id: str
    created: bool

    def to_dict(self) -> dict[str, object]:
        return {
            "account_id": self.account_id,
            "application_id": self.application_id,
            "api_key": self.api_key,
            "api_secret": self.api_secret,
            "webhook_secret": self.webhook_secret,
            "campaign_id": self.campaign_id,
        }


def ensure_demo(*, session: Session, box: SecretBox) -> DemoTenant:
    """Create the demo tenant if it is missing; return it either way."""
    account = session.scalars(select(Account).where(Account.name == DEMO_ACCOUNT)).first()
    created = account is None
    if account is None:
        account = account_service.create_account(
            session=session, name=DEMO_ACCOUNT, auto_approve_scenarios=True
        )
    app = session.scalars(
        select(Application).where(Application.account_id == account.id, Application.name == DEMO_APPLICATION)
    ).first()
    if app is None:
        app = account_service.create_application(
            session=session, box=box, account_id=account.id, name=DEMO_APPLICATION
        ).application
    campaign = session.scalars(
        select(Campaign).where(Campaign.application_id == app.id, Campaign.name == DEMO_CAMPAIGN)
    ).first()
    if campaign is None:
        campaign = campaign_service.create_campaign(
            session=session, application_id=app.id, name=DEMO_CAMPAIGN
        )
    return DemoTenant(
        account_id=account.id,
        application_id=app.id,
        api_key=app.api_key,
        api_secret=box.open(app.api_secret_encrypted),
        webhook_secret=box.open(app.webhook_secret_encrypted) if app.webhook_secret_encrypted else None,
        campaign_id=campaign.id,
        created=created,
    )
