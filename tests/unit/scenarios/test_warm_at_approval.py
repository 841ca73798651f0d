"""At approval the fixed prompt parts are synthesised into the cache the calls read."""

from __future__ import annotations

from pathlib import Path

from aicall.config import Settings
from aicall.engine import PrompterFactory
from aicall.interpreter.script import Action, ActionType, FieldSpec, Script
from aicall.scenarios import preview

FIELDS = (FieldSpec(name="Họ tên", key="ho_ten"),)
SCRIPT = Script(
    scenario_id="sc-1",
    root_action_id="hello",
    actions={
        "hello": Action(
            id="hello", type=ActionType.PLAY_MESSAGE, content_text="Xin chào {{ho_ten}}, tạm biệt."
        ),
        "bye": Action(id="bye", type=ActionType.END_CALL, content_text="Cảm ơn quý khách."),
    },
    fields=FIELDS,
    voice_code="espeak:vi",
)


async def test_warming_a_scenario_synthesises_its_fixed_parts_once_for_the_call_path(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, tts_engine="tone")

    first = await preview.warm(settings, SCRIPT)
    again = await preview.warm(settings, SCRIPT)

    assert (first, again) == (3, 0)  # "Xin chào", ", tạm biệt." and "Cảm ơn quý khách."
    factory = PrompterFactory(settings)
    prompter = factory(SCRIPT, True)
    engine = prompter.engine  # type: ignore[attr-defined]
    await prompter.render("Xin chào {{ho_ten}}, tạm biệt.", {"ho_ten": "Lan"})
    assert [text for text, _, _ in engine.calls] == ["Lan"]  # only the name was left to synthesise
    await factory.aclose()
