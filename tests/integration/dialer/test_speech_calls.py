"""A campaign whose menu listens, dialled on the simulator: the phone says its words, the
attempt's path and the call.attempt.finished webhook carry what was heard."""

from __future__ import annotations

from dataclasses import replace

from aicall.accounts.secrets_box import SecretBox
from aicall.config import Settings
from aicall.dialer.backends import BackendRouter
from aicall.dialer.scheduler import Dialer
from aicall.interpreter.prompter import TextPrompter
from aicall.interpreter.script import Action, ActionType, KeyResponse, ResponseType
from aicall.notify import emit as outbox_emit
from aicall.telephony.sim import SimBackend, SimRules
from tests.integration.dialer import support
from tests.integration.dialer.support import add_contacts, prepare_campaign, run_until_idle, snapshot
from tests.integration.support import SECRET_KEY

YES, LATER = "+84987650001", "+84987650002"
MENU = Action(
    id="menu",
    type=ActionType.INTERACTIVE_MENU,
    label="start",
    content_text="Xin chào {{ho_ten}}, anh có xác nhận lịch hẹn không?",
    responses=(KeyResponse("", "thanks", intent="yes"), KeyResponse("", "bye", intent="call_back_later")),
    response_type=ResponseType.SPEECH,
    timeout=3,
    max_retries=0,
)
RULES = SimRules.from_dict(
    {
        "rules": [
            {"number": YES, "say": "dạ vâng, đúng rồi"},
            {"number": LATER, "say": "tôi đang bận, gọi lại sau nhé"},
        ]
    }
)


async def test_spoken_answers_choose_the_path_and_are_stored_and_sent(db, tenant, tmp_path, monkeypatch):
    monkeypatch.setattr(
        support, "SCRIPT", replace(support.SCRIPT, actions={**support.SCRIPT.actions, "menu": MENU})
    )
    prepare_campaign(db, tenant, retry={})
    add_contacts(db, tenant, [YES, LATER])
    emitted: list[tuple[str, dict]] = []

    def emit(session, *, application_id, event_type, payload):
        emitted.append((str(event_type), payload))
        outbox_emit(session, application_id=application_id, event_type=event_type, payload=payload)

    settings = Settings(
        data_dir=tmp_path, database_url=db.url, secret_key=SECRET_KEY, run_engine=False, asr_engine="echo"
    )
    dialer = Dialer(
        db=db,
        box=SecretBox(SECRET_KEY),
        settings=settings,
        router=BackendRouter(settings, sim=SimBackend(time_scale=0, rules=RULES)),
        load_script=lambda _session, _scenario_id: support.SCRIPT,
        load_call_config=lambda _session, _scenario_id: {},
        prompter_for=lambda _script, _audio: TextPrompter(),
        emit=emit,
    )
    await run_until_idle(dialer)

    snap = snapshot(db, tenant)
    yes_path, later_path = snap.attempts[YES][0].path, snap.attempts[LATER][0].path
    assert [step["action_id"] for step in yes_path] == ["menu", "thanks"]
    assert (
        yes_path[0]["heard"]["transcript"] == "dạ vâng, đúng rồi" and yes_path[0]["heard"]["intent"] == "yes"
    )
    assert [step["action_id"] for step in later_path] == ["menu", "bye"]
    assert later_path[0]["heard"]["intent"] == "call_back_later"
    finished = [p for kind, p in emitted if kind == "call.attempt.finished"]
    heard = {p["phone_number"]: p["attempt"]["path"][0]["heard"]["intent"] for p in finished}
    assert heard == {YES: "yes", LATER: "call_back_later"}
