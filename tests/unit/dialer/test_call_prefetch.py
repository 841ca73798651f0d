"""A contact's prompts are synthesised before the dial, so a slow neural voice costs no silence."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aicall.dialer.call_task import place_call
from aicall.interpreter.prompter import Prompter
from aicall.interpreter.script import Script
from aicall.speech.prompter import Prompter as SpeechPrompter
from aicall.speech.tts import ToneEngine
from aicall.telephony.session import DialRequest, DialResult
from aicall.telephony.sim import SimBackend
from tests.unit.dialer.test_call_task import job


class Prompters:
    def __init__(self, events: list[str]) -> None:
        self.events = events
        self.engine = ToneEngine()

    def __call__(self, script: Script, audio: bool) -> Prompter:
        return SpeechPrompter(script.fields, engine=self.engine)

    async def prefetch(self, script: Script, values: Mapping[str, str]) -> int:
        self.events.append("prefetch")
        return await SpeechPrompter(script.fields, engine=self.engine).prefetch(
            [a.content_text for a in script.actions.values()], values
        )


class Watched:
    def __init__(self, backend: SimBackend, events: list[str]) -> None:
        self.backend, self.events = backend, events

    async def originate(self, request: DialRequest) -> DialResult:
        self.events.append("originate")
        return await self.backend.originate(request)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.backend, name)


async def test_a_calls_prompts_are_prefetched_before_it_is_dialled(tmp_path: Path) -> None:
    events: list[str] = []
    backend = Watched(SimBackend(time_scale=0, recording_dir=tmp_path), events)

    await place_call(job(record=True), backend=backend, prompter_for=Prompters(events))  # type: ignore[arg-type]

    assert events == ["prefetch", "originate"]


async def test_a_simulated_call_nobody_hears_prefetches_nothing(tmp_path: Path) -> None:
    events: list[str] = []
    backend = Watched(SimBackend(time_scale=0), events)

    await place_call(job(record=False), backend=backend, prompter_for=Prompters(events))  # type: ignore[arg-type]

    assert events == ["originate"]
