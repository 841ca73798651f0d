"""The opt-out key in the interpreter and in scenario validation (pure: no database, no phone)."""

from __future__ import annotations

from aicall.interpreter import TextPrompter, run_script
from aicall.interpreter.script import Action, ActionType, KeyResponse
from aicall.interpreter.testing import ScriptedSession, script_of
from aicall.interpreter.trace import CallTrace
from aicall.scenarios import snapshot
from aicall.scenarios.validation import check_script

MENU = Action(
    id="menu",
    type=ActionType.INTERACTIVE_MENU,
    content_text="Bấm 1 để xác nhận, bấm 9 để từ chối nhận cuộc gọi.",
    responses=(KeyResponse("1", "thanks"), KeyResponse("9", "bye", opt_out=True)),
)
THANKS = Action(id="thanks", type=ActionType.PLAY_MESSAGE, content_text="Cảm ơn.")
BYE = Action(id="bye", type=ActionType.END_CALL, content_text="Chúng tôi sẽ không gọi lại. Tạm biệt.")
SCRIPT = script_of(MENU, THANKS, BYE)


async def test_the_opt_out_key_is_reported_and_the_goodbye_still_plays():
    session = ScriptedSession(["9"])
    trace = await run_script(SCRIPT, session, values={}, prompter=TextPrompter())
    assert trace.opted_out is True
    assert [step.action_id for step in trace.steps] == ["menu", "bye"]
    assert CallTrace.from_dict(trace.to_dict()).opted_out is True


async def test_another_key_is_no_opt_out():
    trace = await run_script(SCRIPT, ScriptedSession(["1"]), values={}, prompter=TextPrompter())
    assert trace.opted_out is False


def test_an_opt_out_key_must_end_the_call():
    assert [p for p in check_script(SCRIPT) if "opt-out" in p.message] == []
    to_menu = Action(
        id="menu2",
        type=ActionType.INTERACTIVE_MENU,
        content_text="Bấm 9 để từ chối.",
        responses=(KeyResponse("9", "thanks", opt_out=True), KeyResponse("1", None)),
    )
    problems = check_script(script_of(to_menu, THANKS))
    assert [str(p) for p in problems if "opt-out" in p.message] == [
        (
            "actions[menu2].responses[0].nextActionId: an opt-out key must end the call: "
            "lead to an END_CALL goodbye, or to nothing"
        )
    ]


def test_the_opt_out_flag_survives_an_approved_snapshot():
    restored = snapshot.from_json(snapshot.to_json(SCRIPT))
    assert restored.actions["menu"].responses[1].opt_out is True
    old = snapshot.to_json(SCRIPT)
    for action in old["actions"]:
        for response in action["responses"]:
            response.pop("opt_out")  # a version approved before opt-out existed
    assert snapshot.from_json(old).actions["menu"].responses[1].opt_out is False
