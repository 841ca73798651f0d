"""Issue 6's acceptance: a campaign whose pool points at a trunk on 127.0.0.1 runs end to end.
The far end answers and presses 1 (RFC 4733); the interpreter takes the branch for 1; the
attempt and the webhook show key 1 and SIP 200; the recording holds our spoken prompt.
The far end is SIPp (a scripted pcap), and baresip, a softphone nobody configured for us
(issue 15)."""

from __future__ import annotations

import asyncio
import json
import struct
import wave
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

from .conftest import Sipp, assert_sipp_ok, write_dtmf_pcap
from .peers import Baresip

SECRET = "interop-secret-key"


def build_tenant(db: Database, box: SecretBox, port: int, webhook_url: str) -> dict[str, str]:
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
                {"name": "Xác nhận", "personalizedFields": [{"name": "Họ tên", "readingType": "TEXT"}]}
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

        confirmed = action({"label": "confirmed", "type": "END_CALL", "contentText": "Cảm ơn {{ho_ten}}."})
        other = action({"label": "other", "type": "END_CALL", "contentText": "Tạm biệt."})
        scenario_actions.update_action(
            session=session,
            application_id=application_id,
            action_id=menu.id,
            data=ActionUpdate.model_validate(
                {
                    "contentText": "Xin chào {{ho_ten}}. Bấm phím một để xác nhận lịch hẹn ngày mai.",
                    "responseSetting": {"responseType": "KEYPAD", "timeout": 5, "maxRetries": 0},
                    "responses": [
                        {"keyPadMatch": "1", "nextActionId": confirmed},
                        {"keyPadMatch": "2", "nextActionId": other},
                    ],
                }
            ),
        )
        scenario_service.submit(session=session, application_id=application_id, scenario_id=scenario.id)
        trunk = hotline_service.create_trunk(
            session=session, box=box, host="127.0.0.1", port=port, allow_private=True
        )
        hotline_service.create_pool(
            session=session, key="SIPP", numbers=["+842873001234"], trunk_id=trunk.id, account_id=account.id
        )
        campaign = campaign_service.create_from_api(
            session=session,
            application_id=application_id,
            account_id=account.id,
            name="Qua SIP",
            scenario_id=scenario.id,
            settings={
                "poolHotlineKey": "SIPP",
                "record": True,
                "retry": {},
                "ringTimeout": 10,
                "maxDuration": 60,
            },
            start=True,
        )
        return {
            "application_id": application_id,
            "campaign_id": campaign.id,
            "secret": box.open(app.application.webhook_secret_encrypted or ""),
        }


def left_channel_energy(path: Path) -> float:
    with wave.open(str(path), "rb") as wav:
        assert wav.getnchannels() == 2 and wav.getframerate() == 8000
        frames = wav.readframes(wav.getnframes())
    samples = struct.unpack(f"<{len(frames) // 2}h", frames)
    left = samples[0::2]
    return sum(abs(s) for s in left) / max(1, len(left))


async def run_campaign(
    tmp_path: Path, port: int, far_end: Callable[[], Awaitable[None]]
) -> tuple[CallAttempt, dict[str, Any]]:
    """One contact dialled through a pool whose trunk is 127.0.0.1:`port`, while `far_end`
    plays the callee; the attempt and the webhook deliveries."""
    db = Database(f"sqlite:///{tmp_path / 'aicall.db'}")
    migrate.upgrade(db.engine)
    box = SecretBox(SECRET)
    settings = Settings(
        data_dir=tmp_path / "var", secret_key=SECRET, run_engine=False, webhook_allow_private=True
    )
    with WebhookReceiver() as receiver:
        tenant = build_tenant(db, box, port, receiver.url)
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
            settings=settings,
            router=BackendRouter(settings),
            load_script=load_approved_script,
            load_call_config=scenario_service.stored_call_config,
            prompter_for=PrompterFactory(settings),
            emit=notify.emit,
        )
        await dialer.router.start()
        try:
            assert await dialer.run_once() == 1
            await far_end()
            await dialer.drain(timeout=40)
        finally:
            await dialer.router.close()

        dispatcher = Dispatcher(db, box, allow_private=True)
        # A contact's events go out one at a time, in order (issue 13): wait for its last one.
        for _ in range(50):
            await dispatcher.run_once()
            if any(json.loads(r.body)["type"] == "contact.finished" for r in receiver.received):
                break
            await asyncio.sleep(0.1)
        await dispatcher.aclose()
        received = list(receiver.received)

    with db.reading() as session:
        [attempt] = session.scalars(select(CallAttempt)).all()
    verifier = Webhook(tenant["secret"])
    events = {json.loads(r.body)["type"]: verifier.verify(r.body, r.headers) for r in received}
    return attempt, events


def assert_branch_for_key_one(attempt: CallAttempt, events: dict[str, Any]) -> None:
    assert attempt.outcome == "answered" and attempt.sip_code == 200
    assert attempt.keys_pressed == "1"
    assert [step["label"] for step in attempt.path] == ["start", "confirmed"]
    assert attempt.path[1]["text"] == "Cảm ơn Lan."
    assert attempt.end_reason == "completed"
    assert attempt.recording_path and Path(attempt.recording_path).is_file()
    assert left_channel_energy(Path(attempt.recording_path)) > 100  # our synthesised prompt is in it
    data = events["call.attempt.finished"]["data"]
    assert data["attempt"]["keys_pressed"] == "1"
    assert data["attempt"]["sip_code"] == 200
    assert data["attempt"]["recording_url"].endswith(f"/recordings/{attempt.id}.wav")


async def test_campaign_over_a_sip_trunk_takes_the_branch_for_the_key_pressed_on_sipp(
    sipp: Sipp, tmp_path, require_tool
):
    require_tool("espeak-ng")
    write_dtmf_pcap(sipp.workdir / "dtmf.pcap", "1", 101)
    await sipp.start("answer_send_digit.xml", "-key", "dtmf_pt", "101", timeout=40)

    async def nothing_to_do() -> None:  # SIPp's scenario presses the key itself
        return None

    attempt, events = await run_campaign(tmp_path, sipp.port, nothing_to_do)

    assert_sipp_ok(await sipp.wait())
    assert_branch_for_key_one(attempt, events)


async def test_campaign_over_a_sip_trunk_takes_the_branch_for_the_key_pressed_on_baresip(
    baresip: Baresip, tmp_path, require_tool
):
    require_tool("espeak-ng")
    await baresip.start(user="+84987654321")  # the contact's number, as the INVITE asks for it

    async def press_one() -> None:  # a person who answers, hears the prompt start, presses 1
        await baresip.wait_event("CALL_RTPESTAB", timeout=20.0)  # answered, our prompt reaching it
        await baresip.command("sndcode", "1")

    attempt, events = await run_campaign(tmp_path, baresip.sip_port, press_one)

    assert_branch_for_key_one(attempt, events)
