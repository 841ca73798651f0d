"""The recogniser interface, apart from the engines so that each engine module can import it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from aicall.media import Utterance
from aicall.speech.errors import SpeechError

__all__ = ["AsrEngine", "AsrError", "Transcript"]


class AsrError(SpeechError, RuntimeError):
    """The recogniser failed (refused, unreachable, too slow, answered nonsense)."""


@dataclass(frozen=True, slots=True)
class Transcript:
    text: str  # "" when the engine heard no words
    confidence: float | None = None  # the engine's own, when it gives one


class AsrEngine(Protocol):
    name: str

    async def transcribe(self, utterance: Utterance, *, language: str = "vi") -> Transcript: ...
