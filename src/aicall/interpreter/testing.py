"""Fakes for driving the interpreter without a phone: a scripted `CallSession`, a step clock,
and `script_of` to build small scripts.

`ScriptedSession` answers each `collect_digits` (or `listen`) with the next pre-set input and can end the
call at a chosen play or collect, the way a callee or the network would. It keeps a record of
everything the interpreter asked of it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from aicall.calls.outcomes import EndReason
from aicall.interpreter.script import Action, ActionType, Script
from aicall.media import Audio, Utterance
from aicall.speech.timing import estimate_duration
from aicall.telephony.session import CallEnded, Heard

__all__ = [
    "CollectRequest",
    "ListenRequest",
    "PlayedPrompt",
    "Press",
    "Say",
    "ScriptedSession",
    "StepClock",
    "script_of",
]


@dataclass(frozen=True, slots=True)
class Press:
    """What the callee types for one `collect_digits` ('' = nothing)."""

    digits: str
    during_prompt: bool = False  # typed while the prompt plays: cuts it short when barge-in is on


@dataclass(frozen=True, slots=True)
class Say:
    """What the callee says for one `listen` ('' = silence)."""

    words: str
    during_prompt: bool = False  # spoken while the prompt plays: cuts it short when barge-in is on


@dataclass(frozen=True, slots=True)
class ListenRequest:
    barge_in: bool
    timeout: float
    max_speech: float
    keys: bool


@dataclass(frozen=True, slots=True)
class PlayedPrompt:
    text: str
    barge_in: bool
    interrupted: bool


@dataclass(frozen=True, slots=True)
class CollectRequest:
    max_digits: int
    timeout: float
    terminator: str | None


class StepClock:
    """A clock that moves `step` forward on every reading: distinct, predictable timestamps."""

    def __init__(self, start: datetime | None = None, *, step: timedelta = timedelta(seconds=1)) -> None:
        self.now = start or datetime(2026, 1, 1, tzinfo=UTC)
        self.step = step

    def __call__(self) -> datetime:
        current = self.now
        self.now += self.step
        return current


class ScriptedSession:
    """A `CallSession` whose callee follows a script.

    `inputs[n]` answers the n-th `collect_digits` or `listen` (a string is typed after the
    prompt, a `Press` says when, a `Say` is spoken; at a `listen` that takes keys, a `Press`
    is left for the `collect_digits` that follows); past the end the callee is silent.
    `end_on_play=n` ends the call during the n-th prompt (1-based), `end_on_collect=n` during
    the n-th `collect_digits`, with `end_reason` (a remote hang-up unless told otherwise).
    """

    def __init__(
        self,
        inputs: Sequence[str | Press | Say] = (),
        *,
        call_id: str = "scripted-call",
        end_on_play: int | None = None,
        end_on_collect: int | None = None,
        end_reason: EndReason = EndReason.REMOTE_HANGUP,
        accept_transfer: bool = True,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.call_id = call_id
        self._inputs = [item if isinstance(item, Press | Say) else Press(item) for item in inputs]
        self._position = 0  # inputs taken so far
        self._end_on_play = end_on_play
        self._end_on_collect = end_on_collect
        self._scripted_end = end_reason
        self._accept_transfer = accept_transfer
        self._clock = clock or (lambda: datetime.now(UTC))
        self.played: list[PlayedPrompt] = []
        self.collects: list[CollectRequest] = []
        self.listens: list[ListenRequest] = []
        self.transfers: list[str] = []
        self.hangups = 0  # how many times `hangup` was called, even when already ended
        self._ended_reason: EndReason | None = None
        self._ended_at: datetime | None = None

    @property
    def heard(self) -> list[str]:
        return [prompt.text for prompt in self.played]

    async def play(self, audio: Audio, *, barge_in: bool = True) -> bool:
        self._raise_if_ended()
        if self._end_on_play == len(self.played) + 1:
            self.played.append(PlayedPrompt(audio.text, barge_in, interrupted=False))
            self._end(self._scripted_end)
        upcoming = self._upcoming()
        interrupted = (
            barge_in and isinstance(upcoming, Press) and upcoming.during_prompt and bool(upcoming.digits)
        )
        self.played.append(PlayedPrompt(audio.text, barge_in, interrupted))
        return interrupted

    async def collect_digits(
        self, *, max_digits: int = 1, timeout: float = 5.0, terminator: str | None = "#"
    ) -> str:
        self._raise_if_ended()
        self.collects.append(CollectRequest(max_digits, timeout, terminator))
        if self._end_on_collect == len(self.collects):
            self._end(self._scripted_end)
        upcoming = self._upcoming()
        self._position += 1
        return upcoming.digits if isinstance(upcoming, Press) else ""

    async def listen(
        self,
        prompt: Audio | None = None,
        *,
        barge_in: bool = True,
        timeout: float = 5.0,
        max_speech: float = 8.0,
        keys: bool = False,
    ) -> Heard:
        self._raise_if_ended()
        upcoming = self._upcoming()
        if prompt is not None:
            if self._end_on_play == len(self.played) + 1:
                self.played.append(PlayedPrompt(prompt.text, barge_in, interrupted=False))
                self._end(self._scripted_end)
            spoken = isinstance(upcoming, Say) and bool(upcoming.words)
            pressed = keys and isinstance(upcoming, Press) and bool(upcoming.digits)
            during = upcoming is not None and upcoming.during_prompt and (spoken or pressed)
            self.played.append(PlayedPrompt(prompt.text, barge_in, interrupted=barge_in and during))
        self.listens.append(ListenRequest(barge_in, timeout, max_speech, keys))
        interrupted = bool(self.played and self.played[-1].interrupted and prompt is not None)
        if keys and isinstance(upcoming, Press) and upcoming.digits:
            return Heard(interrupted=interrupted, key=True)  # collect_digits takes it
        self._position += 1
        if isinstance(upcoming, Say) and upcoming.words:
            duration = min(estimate_duration(upcoming.words), max_speech)
            utterance = Utterance(pcm=b"", duration=duration, said=upcoming.words)
            return Heard(utterance=utterance, interrupted=interrupted)
        return Heard()

    async def transfer(self, target: str) -> bool:
        self._raise_if_ended()
        self.transfers.append(target)
        if self._accept_transfer:
            self._finish(EndReason.TRANSFERRED)
        return self._accept_transfer

    async def hangup(self) -> None:
        self.hangups += 1
        if self._ended_reason is None:
            self._finish(EndReason.COMPLETED)

    @property
    def ended(self) -> bool:
        return self._ended_reason is not None

    @property
    def end_reason(self) -> EndReason | None:
        return self._ended_reason

    @property
    def ended_at(self) -> datetime | None:
        return self._ended_at

    @property
    def recording_path(self) -> str | None:
        return None

    def _upcoming(self) -> Press | Say | None:
        index = self._position
        return self._inputs[index] if index < len(self._inputs) else None

    def _raise_if_ended(self) -> None:
        if self._ended_reason is not None:
            raise CallEnded(self._ended_reason)

    def _finish(self, reason: EndReason) -> None:
        self._ended_reason = reason
        self._ended_at = self._clock()

    def _end(self, reason: EndReason) -> None:
        self._finish(reason)
        raise CallEnded(reason)


def script_of(*actions: Action, scenario_id: str = "test-scenario") -> Script:
    """A `Script` whose root `OUTBOUND_CALL` leads to the first of `actions`."""
    root = Action(id="root", type=ActionType.OUTBOUND_CALL, next_action_id=actions[0].id if actions else None)
    return Script(
        scenario_id=scenario_id,
        root_action_id=root.id,
        actions={action.id: action for action in (root, *actions)},
    )
