"""One contact of a campaign dialled for real through a pool whose trunk is a SIP far end on
127.0.0.1 (SIPp here), the dialer and webhook dispatcher as in production; the attempt and the
signed webhooks it produced. Shared by the pool-identity and answering-machine interop tests."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select
from standardwebhooks import Webhook

from aicall import notify
from aicall.accounts import ledger
from aicall.accounts import service as account_service
from aicall.accounts.secrets_box import SecretBox
from aicall.calls.models import CallAttempt
from aicall.campaigns import service as campaign_service
from aicall.config import Settings
from aicall.db import migrate
from aicall.db.engine import Database
from aicall.dialer.backends import BackendRouter
from aicall.dialer.scheduler import Dialer
from aicall.engine import PrompterFactory, load_approved_script
from aicall.hotlines import service as hotline_service
from aicall.scenarios import actions as scenario_actions
from aicall.scenarios import service as scenario_service
from aicall.scenarios.schemas import ActionCreate, ActionUpdate, ScenarioCreate
from aicall.webhooks.dispatcher import Dispatcher
from aicall.webhooks.testing import WebhookReceiver

SECRET = "interop-secret-key"
GREETING = "Xin chào {{ho_ten}}. Bấm phím một để xác nhận lịch hẹn."
VOICEMAIL_MESSAGE = "Chào {{ho_ten}}, chúng tôi sẽ gọi lại sau."


def _tenant(
    db: Database,
    box: SecretBox,
    port: int,
    webhook_url: str,
    *,
    pool: dict[str, Any],
    settings: dict[str, Any],
) -> dict[str, str]:
    """An account with a scenario (a greeting menu that ends on key 1 or silence, and a
    voicemail message no path reaches), a pool on the trunk, and a running campaign. In
    `settings`, `voicemailMessageActionId: "MESSAGE"` names the voicemail message."""
    with db.transaction() as session:
        account = account_service.create_account(
            session=session, name="SIP tenant", auto_approve_scenarios=True
        )
        ledger.topup(session=session, account_id=account.id, amount=1_000_000)
        app = account_service.create_application(
            session=session, box=box, account_id=account.id, name="SIP app", webhook_url=webhook_url
        )
        application_id = app.application.id
        scenario = scenario_service.create_scenario(
            session=session,
            application_id=application_id,
            data=ScenarioCreate.model_validate(
                {"name": "Nhắc lịch", "personalizedFields": [{"name": "Họ tên", "readingType": "TEXT"}]}
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

        thanks = action({"label": "thanks", "type": "END_CALL", "contentText": "Cảm ơn."})
        message = action({"label": "voicemail", "type": "PLAY_MESSAGE", "contentText": VOICEMAIL_MESSAGE})
        scenario_actions.update_action(
            session=session,
            application_id=application_id,
            action_id=menu.id,
            data=ActionUpdate.model_validate(
                {
                    "label": "greeting",
                    "contentText": GREETING,
                    "responseSetting": {"responseType": "KEYPAD", "timeout": 1, "maxRetries": 0},
                    "responses": [{"keyPadMatch": "1", "nextActionId": thanks}],
                }
            ),
        )
        scenario_service.submit(session=session, application_id=application_id, scenario_id=scenario.id)
        trunk = hotline_service.create_trunk(
            session=session, box=box, host="127.0.0.1", port=port, allow_private=True
        )
        hotline_service.create_pool(
            session=session,
            key="SIPP",
            numbers=["+842873001234"],
            trunk_id=trunk.id,
            account_id=account.id,
            **pool,
        )
        own = {key: (message if value == "MESSAGE" else value) for key, value in settings.items()}
        campaign = campaign_service.create_from_api(
            session=session,
            application_id=application_id,
            account_id=account.id,
            name="Qua SIP",
            scenario_id=scenario.id,
            settings={"poolHotlineKey": "SIPP", "retry": {}, "ringTimeout": 10, "maxDuration": 60, **own},
            start=True,
        )
        return {
            "application_id": application_id,
            "campaign_id": campaign.id,
            "message_action_id": message,
            "secret": box.open(app.application.webhook_secret_encrypted or ""),
        }


async def run_sip_campaign(
    tmp_path: Path,
    port: int,
    *,
    pool: dict[str, Any] | None = None,
    settings: dict[str, Any] | None = None,
    far_end: Callable[[], Awaitable[None]] | None = None,
) -> tuple[CallAttempt, dict[str, Any], dict[str, str]]:
    """One contact (Lan, 0987654321) dialled through a pool on 127.0.0.1:`port`: the stored
    attempt, the webhook bodies by event type, and the tenant's ids."""
    db = Database(f"sqlite:///{tmp_path / 'aicall.db'}")
    migrate.upgrade(db.engine)
    box = SecretBox(SECRET)
    config = Settings(
        data_dir=tmp_path / "var", secret_key=SECRET, run_engine=False, webhook_allow_private=True
    )
    with WebhookReceiver() as receiver:
        tenant = _tenant(db, box, port, receiver.url, pool=pool or {}, settings=settings or {})
        campaign_service.add_contacts(
            db=db,
            application_id=tenant["application_id"],
            payload={
                "campaign_id": tenant["campaign_id"],
                "contacts": [{"phone_number": "0987654321", "ho_ten": "Lan"}],
            },
            idempotency_key=None,
            max_contacts=10,
            region="VN",
        )
        dialer = Dialer(
            db=db,
            box=box,
            settings=config,
            router=BackendRouter(config),
            load_script=load_approved_script,
            load_call_config=scenario_service.stored_call_config,
            prompter_for=PrompterFactory(config),
            emit=notify.emit,
        )
        await dialer.router.start()
        try:
            assert await dialer.run_once() == 1
            if far_end is not None:
                await far_end()
            await dialer.drain(timeout=40)
        finally:
            await dialer.router.close()
        dispatcher = Dispatcher(db, box, allow_private=True)
        for _ in range(50):  # a contact's events go out one at a time, in order: wait for the last
            await dispatcher.run_once()
            if any(json.loads(r.body)["type"] == "contact.finished" for r in receiver.received):
                break
            await asyncio.sleep(0.1)
        await dispatcher.aclose()
        received = list(receiver.received)
    with db.reading() as session:
        [attempt] = session.scalars(select(CallAttempt)).all()
    db.dispose()
    verifier = Webhook(tenant["secret"])
    events = {json.loads(r.body)["type"]: verifier.verify(r.body, r.headers) for r in received}
    return attempt, events, tenant
