"""Speech recognition: an utterance in, Vietnamese words out, through an `AsrEngine`.

Like `TtsEngine`, an engine is a small object with a name and one coroutine. The interpreter
never lets a recogniser end a call: an `AsrError` (or a timeout) means "heard nothing", and the
menu follows its no-input path. Engines:

* `OpenAITranscriptionEngine` (`openai`): any server speaking OpenAI's
  `POST /v1/audio/transcriptions` (self-hosted Whisper servers, vendors), `language=vi`.
* `FptAsrEngine` (`fpt`): FPT.AI Speech to Text, `POST https://api.fpt.ai/hmi/asr/general`
  (https://docs.fpt.ai/docs/en/speech/api/speech-to-text).
* `EchoAsrEngine` (`echo`): returns what a simulated phone said (`Utterance.said`); for the
  simulator and demos without a recogniser. `ScriptedAsrEngine`: answers from a list (tests).

`asr_http.build_asr_engine` maps `AICALL_ASR_ENGINE` to one (it lives beside the HTTP engines so
that this module, which the interpreter uses, imports no HTTP client).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from aicall.media import Utterance
from aicall.speech.asr_types import AsrEngine, AsrError, Transcript

__all__ = [
    "AsrEngine",
    "AsrError",
    "EchoAsrEngine",
    "Recognition",
    "ScriptedAsrEngine",
    "Transcript",
    "recognise",
]


@dataclass(frozen=True, slots=True)
class Recognition:
    """One recognition as the call records it: what came back, how long it took, what failed."""

    transcript: Transcript | None
    seconds: float
    engine: str
    error: str | None = None


async def recognise(
    engine: AsrEngine, utterance: Utterance, *, timeout: float = 10.0, language: str = "vi"
) -> Recognition:
    """Run `engine` on `utterance` within `timeout` seconds; never raises for the engine's faults."""
    started = time.monotonic()
    try:
        async with asyncio.timeout(timeout):
            transcript = await engine.transcribe(utterance, language=language)
    except TimeoutError:
        error = f"{engine.name}: no answer within {timeout:g} s"
        return Recognition(None, time.monotonic() - started, engine.name, error)
    except Exception as exc:  # an engine's faults are many; each means "heard nothing"
        error = f"{engine.name}: {type(exc).__name__}: {exc}"[:300]
        return Recognition(None, time.monotonic() - started, engine.name, error)
    return Recognition(transcript, time.monotonic() - started, engine.name)


class EchoAsrEngine:
    """Hears what the simulated phone said; an utterance of a real call is heard as nothing."""

    name = "echo"

    async def transcribe(self, utterance: Utterance, *, language: str = "vi") -> Transcript:
        return Transcript(text=utterance.said or "", confidence=1.0 if utterance.said else None)


@dataclass
class ScriptedAsrEngine:
    """Answers from `answers` in turn (a string, or an exception to raise); records each call."""

    answers: list[str | BaseException] = field(default_factory=list)
    delay: float = 0.0
    name: str = "scripted"
    calls: list[Utterance] = field(default_factory=list)

    @classmethod
    def of(cls, answers: Iterable[str | BaseException], *, delay: float = 0.0) -> ScriptedAsrEngine:
        return cls(answers=list(answers), delay=delay)

    async def transcribe(self, utterance: Utterance, *, language: str = "vi") -> Transcript:
        self.calls.append(utterance)
        if self.delay:
            await asyncio.sleep(self.delay)
        answer = self.answers.pop(0) if self.answers else ""
        if isinstance(answer, BaseException):
            raise answer
        return Transcript(text=answer)
