"""What happened on one call, step by step: the interpreter's record, kept on the call attempt."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from aicall.calls.outcomes import EndReason
from aicall.interpreter.script import ActionType

__all__ = ["CallTrace", "Heard", "Step", "StepResult"]


class StepResult(StrEnum):
    MATCHED = "matched"  # a menu key matched a response
    NO_INPUT = "no_input"  # a menu heard no key within its timeout
    INVALID = "invalid"  # a menu heard a key that matches no response
    PLAYED = "played"  # a message was played in full (or interrupted by a key)
    TRANSFERRED = "transferred"  # the call was handed over
    TRANSFER_FAILED = "transfer_failed"  # the network refused the transfer
    HANGUP = "hangup"  # an end-of-call action: goodbye said, we hung up
    ENDED = "ended"  # the call ended during this step (see `CallTrace.end_reason`)
    ERROR = "error"  # a fault on our side during this step (see `CallTrace.error`)


@dataclass(frozen=True, slots=True)
class Heard:
    """What a listening menu heard at one step: the words, the intent, and the recogniser's part."""

    transcript: str | None  # None: nothing recognised (no engine, an error, a timeout)
    intent: str | None  # the matched response's intent; None: no match
    confidence: float | None  # the intent match's (speech/intents.py)
    recognition_ms: int  # how long the recogniser took
    engine: str  # the recogniser's name
    speech_seconds: float = 0.0  # length of the utterance
    error: str | None = None  # why nothing was recognised

    def to_dict(self) -> dict[str, Any]:
        return {
            "transcript": self.transcript,
            "intent": self.intent,
            "confidence": self.confidence,
            "recognition_ms": self.recognition_ms,
            "engine": self.engine,
            "speech_seconds": self.speech_seconds,
            "error": self.error,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Heard:
        return cls(
            transcript=data.get("transcript"),
            intent=data.get("intent"),
            confidence=data.get("confidence"),
            recognition_ms=int(data.get("recognition_ms", 0)),
            engine=data.get("engine", ""),
            speech_seconds=float(data.get("speech_seconds", 0.0)),
            error=data.get("error"),
        )


@dataclass(slots=True)
class Step:
    """One visit of one action; a menu that replays its prompt makes one step per play."""

    action_id: str
    label: str
    type: ActionType
    at: datetime
    repeat: int = 0  # 0 for the first play of a menu's prompt, 1 for the first replay...
    text: str = ""  # what was spoken
    keys: str = ""  # what the callee pressed at this step
    result: StepResult = StepResult.PLAYED
    interrupted: bool = False  # a key press (or speech) cut the prompt short (barge-in)
    heard: Heard | None = None  # a listening menu's recognition; None for keys and silence

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "action_id": self.action_id,
            "label": self.label,
            "type": self.type.value,
            "text": self.text,
            "keys": self.keys,
            "result": self.result.value,
            "at": self.at.isoformat(),
            "repeat": self.repeat,
            "interrupted": self.interrupted,
        }
        if self.heard is not None:  # only then: keypad steps read exactly as before speech existed
            body["heard"] = self.heard.to_dict()
        return body

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Step:
        return cls(
            action_id=data["action_id"],
            label=data["label"],
            type=ActionType(data["type"]),
            at=datetime.fromisoformat(data["at"]),
            repeat=data["repeat"],
            text=data["text"],
            keys=data["keys"],
            result=StepResult(data["result"]),
            interrupted=data.get("interrupted", False),
            heard=Heard.from_dict(data["heard"]) if data.get("heard") else None,
        )


@dataclass(slots=True)
class CallTrace:
    steps: list[Step] = field(default_factory=list)
    keys_pressed: str = ""  # every key collected, in order
    end_reason: EndReason | None = None
    transferred_to: str | None = None
    error: str | None = None
    opted_out: bool = False  # a key marked opt-out was pressed: the callee refuses further calls
    started_at: datetime | None = None
    ended_at: datetime | None = None

    @property
    def path(self) -> list[str]:
        """The actions visited, in order; a menu's replays count once."""
        visited: list[str] = []
        for step in self.steps:
            if step.repeat == 0:
                visited.append(step.action_id)
        return visited

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: enums as their values, times as ISO 8601."""
        return {
            "steps": [step.to_dict() for step in self.steps],
            "keys_pressed": self.keys_pressed,
            "end_reason": self.end_reason.value if self.end_reason else None,
            "transferred_to": self.transferred_to,
            "error": self.error,
            "opted_out": self.opted_out,
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "ended_at": self.ended_at.isoformat() if self.ended_at else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CallTrace:
        def when(value: str | None) -> datetime | None:
            return datetime.fromisoformat(value) if value else None

        return cls(
            steps=[Step.from_dict(step) for step in data["steps"]],
            keys_pressed=data["keys_pressed"],
            end_reason=EndReason(data["end_reason"]) if data["end_reason"] else None,
            transferred_to=data["transferred_to"],
            error=data["error"],
            opted_out=bool(data.get("opted_out", False)),
            started_at=when(data.get("started_at")),
            ended_at=when(data.get("ended_at")),
        )
