"""The demo tenant `aicall init --demo` creates: an account with balance, an application and a
campaign (created once; later runs find and print the same ones)."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from aicall.accounts import ledger
from aicall.accounts import service as account_service
from aicall.accounts import users as user_service
from aicall.accounts.models import Account, Application
from aicall.accounts.secrets_box import SecretBox
from aicall.campaigns import service as campaign_service
from aicall.campaigns.models import Campaign, CampaignStatus
from aicall.hotlines import service as hotline_service
from aicall.scenarios import actions as scenario_actions
from aicall.scenarios import service as scenario_service
from aicall.scenarios.models import Scenario
from aicall.scenarios.schemas import ActionCreate, ActionUpdate, ScenarioCreate

DEMO_ACCOUNT = "Demo account"
DEMO_APPLICATION = "Demo application"
DEMO_CAMPAIGN = "Demo campaign"
DEMO_SCENARIO = "Nhắc thanh toán (demo)"
DEMO_BALANCE = 1_000_000  # đồng
DEMO_LOGIN_EMAIL = "demo@aicall.local"
# The demo dials at any hour, and fast enough that every simulated path shows within a minute.
# It records: each call's recording holds the prompts as the callee heard them (espeak-ng) and
# the keys pressed, for the dashboard's audio player.
DEMO_SETTINGS = {"ring_timeout": 20, "max_duration": 120, "calls_per_second": 10, "record": True}


@dataclass(frozen=True, slots=True)
class DemoTenant:
    account_id: str
    application_id: str
    api_key: str
    api_secret: str
    webhook_secret: str | None
    campaign_id: str
    scenario_id: str
    login_email: str
    login_password: str
    created: bool

    def to_dict(self) -> dict[str, object]:
        return {
            "account_id": self.account_id,
            "application_id": self.application_id,
            "api_key": self.api_key,
            "api_secret": self.api_secret,
            "webhook_secret": self.webhook_secret,
            "campaign_id": self.campaign_id,
            "scenario_id": self.scenario_id,
            "login_email": self.login_email,
            "login_password": self.login_password,
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
    hotline_service.ensure_system_pool(session=session)
    scenario = session.scalars(
        select(Scenario).where(Scenario.application_id == app.id, Scenario.name == DEMO_SCENARIO)
    ).first()
    if scenario is None:
        scenario = _demo_scenario(session, app.id)
    campaign = session.scalars(
        select(Campaign).where(Campaign.application_id == app.id, Campaign.name == DEMO_CAMPAIGN)
    ).first()
    if campaign is None:
        campaign = campaign_service.create_campaign(
            session=session,
            application_id=app.id,
            name=DEMO_CAMPAIGN,
            scenario_id=scenario.id,
            settings=dict(DEMO_SETTINGS),
        )
    api_secret = box.open(app.api_secret_encrypted)
    password = demo_password(api_secret)
    user_id = user_service.find_user_id(session=session, email=DEMO_LOGIN_EMAIL)
    if user_id is None:
        user_service.create_user(
            session=session, account_id=account.id, email=DEMO_LOGIN_EMAIL, password=password, is_admin=True
        )
    elif user_service.authenticate(session=session, email=DEMO_LOGIN_EMAIL, password=password) is None:
        # The demo application's secret was rotated (dashboard, /apps): the password printed
        # follows it, so the stored one must too, or the printed login would not sign in.
        user_service.set_password(session=session, user_id=user_id, password=password)
    if created:
        ledger.topup(session=session, account_id=account.id, amount=DEMO_BALANCE, note="demo credit")
    if campaign.status == CampaignStatus.DRAFT.value:
        # Started through the one owner of campaign status, like any other campaign (issue 9).
        campaign_service.transition(session=session, campaign=campaign, account_id=account.id, action="start")
    return DemoTenant(
        account_id=account.id,
        application_id=app.id,
        api_key=app.api_key,
        api_secret=api_secret,
        webhook_secret=box.open(app.webhook_secret_encrypted) if app.webhook_secret_encrypted else None,
        campaign_id=campaign.id,
        scenario_id=scenario.id,
        login_email=DEMO_LOGIN_EMAIL,
        login_password=password,
        created=created,
    )


def demo_password(api_secret: str) -> str:
    """The demo login's password: derived from the demo application's secret, so every install
    has its own, nothing is stored in clear, and `init --demo` can print it again on every run."""
    return hmac.new(api_secret.encode(), b"aicall demo login", hashlib.sha256).hexdigest()[:16]


def _demo_scenario(session: Session, application_id: str) -> Scenario:
    """A payment reminder: a menu with keys 1 (confirm) and 2 (ask for a call back)."""
    scenario = scenario_service.create_scenario(
        session=session,
        application_id=application_id,
        data=ScenarioCreate.model_validate(
            {
                "name": DEMO_SCENARIO,
                "description": "Demo: reminds a payment and asks for confirmation by keypad.",
                "personalizedFields": [
                    {"name": "Họ tên", "readingType": "TEXT"},
                    {"name": "Số tiền", "readingType": "CURRENCY"},
                ],
                "callConfig": {
                    "reCall": {"times": 1, "delay": 1, "isBusy": True, "isNoAnswer": True, "isFailed": True}
                },
            }
        ),
    )
    menu = next(
        a
        for a in scenario_actions.list_actions(
            session=session, application_id=application_id, scenario_id=scenario.id
        )
        if a.type == "INTERACTIVE_MENU"
    )

    def action(data: dict[str, object]) -> str:
        return scenario_actions.create_action(
            session=session,
            application_id=application_id,
            data=ActionCreate.model_validate({"scenarioId": scenario.id, **data}),
        ).id

    thanks = action(
        {
            "label": "confirmed",
            "type": "END_CALL",
            "contentText": "Cảm ơn {{ho_ten}}. Chúc quý khách một ngày tốt lành.",
        }
    )
    later = action(
        {
            "label": "call_back",
            "type": "END_CALL",
            "contentText": "Nhân viên sẽ gọi lại cho quý khách. Xin cảm ơn.",
        }
    )
    scenario_actions.update_action(
        session=session,
        application_id=application_id,
        action_id=menu.id,
        data=ActionUpdate.model_validate(
            {
                "contentText": "Xin chào {{ho_ten}}. Quý khách có khoản thanh toán {{so_tien}} sắp đến hạn. "
                "Bấm phím 1 để xác nhận, bấm phím 2 để nhân viên gọi lại.",
                "responseSetting": {"responseType": "KEYPAD", "timeout": 5, "maxRetries": 1},
                "responses": [
                    {"keyPadMatch": "1", "nextActionId": thanks},
                    {"keyPadMatch": "2", "nextActionId": later},
                ],
            }
        ),
    )
    scenario_service.submit(session=session, application_id=application_id, scenario_id=scenario.id)
    if scenario.status != "ACTIVE":
        scenario_service.approve(session=session, scenario_id=scenario.id)
    return scenario
