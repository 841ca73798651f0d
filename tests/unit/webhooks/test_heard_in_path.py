"""What a listening menu heard travels in the attempt's path: webhook payload and its schema."""

from __future__ import annotations

import json
from pathlib import Path

from aicall.interpreter import TextPrompter, run_script
from aicall.interpreter.script import Action, ActionType, KeyResponse, ResponseType
from aicall.interpreter.testing import Say, ScriptedSession, script_of
from aicall.speech.asr import EchoAsrEngine
from aicall.webhooks.payloads import PathStep

SCHEMA = Path(__file__).parents[3] / "docs" / "webhooks" / "call.attempt.finished.schema.json"


async def test_a_step_that_heard_words_is_a_valid_path_step_with_what_was_heard() -> None:
    script = script_of(
        Action(
            id="ask",
            type=ActionType.INTERACTIVE_MENU,
            content_text="Anh có đồng ý không?",
            responses=(KeyResponse("", "bye", intent="yes"),),
            response_type=ResponseType.SPEECH,
        ),
        Action(id="bye", type=ActionType.END_CALL, content_text="Cảm ơn."),
    )
    trace = await run_script(
        script, ScriptedSession([Say("dạ đồng ý")]), values={}, prompter=TextPrompter(), asr=EchoAsrEngine()
    )
    steps = [PathStep.model_validate(step) for step in trace.to_dict()["steps"]]
    heard = steps[0].heard
    assert heard is not None and heard.transcript == "dạ đồng ý" and heard.intent == "yes"
    assert heard.engine == "echo" and heard.recognition_ms >= 0
    assert steps[1].heard is None


def test_the_published_schema_describes_heard() -> None:
    schema = json.loads(SCHEMA.read_text())
    step = schema["$defs"]["PathStep"]["properties"]
    assert "heard" in step and "heard" not in schema["$defs"]["PathStep"].get("required", [])
    assert set(schema["$defs"]["HeardSpeech"]["properties"]) >= {
        "transcript",
        "intent",
        "confidence",
        "recognition_ms",
    }
