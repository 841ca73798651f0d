"""Answering-machine detection on an answered call (issue 15): who picked up, a person or a
machine, and what the call does about it.

The detector (`speech.amd`) listens to `CallSession.callee_audio()` from the answer. The
campaign's `amd_mode` decides when the scenario starts:

* `sync`: after the verdict. A person (or an undecided callee, `unknown`, treated as a person:
  hanging up on a person is the worse error) then hears the scenario; a machine never does.
* `async`: at once, while the detector listens; a machine verdict stops the scenario where it is
  (the prompt is cut, nothing more is said), a person's lets it run on.

A machine ends the attempt with outcome `voicemail` (re-called by the campaign's `voicemail`
retry rule, the scenario's `re_call.is_voice_mail`). With `voicemail_action: leave_message`
the call first waits for the greeting to end (the beep, or silence: the detector's
`ready_for_message`), at most `defaults.VOICEMAIL_MESSAGE_WAIT` seconds of audio, then plays
the scenario's PLAY_MESSAGE action `voicemail_message_action_id` to its end, and hangs up.

What was decided goes on the attempt as `Screening.to_dict()`: verdict, reason, decided_after
(seconds of the callee's audio), message_left.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

from aicall.calls.outcomes import EndReason
from aicall.campaigns import defaults
from aicall.interpreter.script import ActionType, Script
from aicall.interpreter.trace import CallTrace, StepResult
from aicall.speech.amd import AmdResult, AmdVerdict, AnsweringMachineDetector
from aicall.telephony.session import CALLEE_FRAME_BYTES, CallEnded, CallSession

__all__ = ["AmdWatch", "ScreenedCall", "ScreenedSession", "Screening", "message_played", "message_script"]

log = logging.getLogger("aicall.dialer")
T = TypeVar("T")
_FRAME_SECONDS = CALLEE_FRAME_BYTES / 2 / 8000


@dataclass(slots=True)
class Screening:
    """The detector's decision on one call and what came of it."""

    result: AmdResult
    message_left: bool = False  # a voicemail message was played to its end
    error: str | None = None  # why a message that was asked for was not left

    @property
    def machine(self) -> bool:
        return self.result.verdict is AmdVerdict.MACHINE

    def to_dict(self) -> dict[str, Any]:
        """As stored on the attempt (`call_attempts.amd`) and sent in webhooks."""
        return {
            "verdict": self.result.verdict.value,
            "reason": self.result.reason,
            "decided_after": round(self.result.decided_after, 3),
            "message_left": self.message_left,
        }


class AmdWatch:
    """Feeds the callee's audio to a detector from the answer, in a task of its own.

    `decided` is set at the verdict (or when the audio ends undecided: `finish()`); after a
    machine verdict it listens on until `ready` (the greeting is over) or `message_wait` more
    seconds of audio. An error in the audio path ends the watch, never the call: the verdict
    is then whatever `finish()` makes of what was heard.
    """

    def __init__(
        self,
        session: CallSession,
        detector: AnsweringMachineDetector | None = None,
        *,
        message_wait: float = defaults.VOICEMAIL_MESSAGE_WAIT,
        listen_for_message: bool = False,
    ) -> None:
        self.detector = detector or AnsweringMachineDetector()
        self.decided = asyncio.Event()
        self.over = asyncio.Event()  # the watch ended (decided and, for a message, ready or given up)
        self._session = session
        self._message_frames = max(1, round(message_wait / _FRAME_SECONDS))
        self._listen_for_message = listen_for_message
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.ensure_future(self._run())

    @property
    def result(self) -> AmdResult:
        """The verdict; before `decided`, the detector's guess from what it heard (`finish`)."""
        return self.detector.result or self.detector.finish()

    @property
    def ready(self) -> bool:
        return self.detector.ready_for_message

    async def stop(self) -> None:
        """Stop listening (the verdict is kept; an undecided one is made now)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._settle()

    async def _run(self) -> None:
        detector = self.detector
        after_machine = 0
        audio: Any = None
        try:
            audio = self._session.callee_audio()
            async for frame in audio:
                detector.feed(frame)
                result = detector.result
                if result is None:
                    continue
                self.decided.set()
                if result.verdict is not AmdVerdict.MACHINE or not self._listen_for_message:
                    break
                if detector.ready_for_message:
                    break
                after_machine += 1
                if after_machine >= self._message_frames:
                    break
        except Exception:  # the detector or the audio path: this call goes on undetected
            log.exception("answering-machine detection failed on call %s", self._session.call_id)
        finally:
            aclose = getattr(audio, "aclose", None)
            if aclose is not None:
                with contextlib.suppress(Exception):
                    await aclose()
            self._settle()

    def _settle(self) -> None:
        if self.detector.result is None:
            self.detector.finish()
        self.decided.set()
        self.over.set()


class ScreenedSession:
    """The session as the scenario sees it while the detector may still stop it (`async`).

    `cut()` (a machine answered) ends whatever the scenario is doing (a prompt stops at once)
    and makes every later request raise `CallEnded`, without hanging up: the call is the
    voicemail handling's from then on. Everything else passes through.
    """

    def __init__(self, session: CallSession) -> None:
        self._session = session
        self._cut = asyncio.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)

    def cut(self) -> None:
        self._cut.set()

    @property
    def ended(self) -> bool:
        return self._cut.is_set() or self._session.ended

    async def hangup(self) -> None:
        if not self._cut.is_set():
            await self._session.hangup()

    async def play(self, *args: Any, **kwargs: Any) -> Any:
        return await self._unless_cut(self._session.play(*args, **kwargs))

    async def collect_digits(self, **kwargs: Any) -> Any:
        return await self._unless_cut(self._session.collect_digits(**kwargs))

    async def listen(self, *args: Any, **kwargs: Any) -> Any:
        return await self._unless_cut(self._session.listen(*args, **kwargs))

    async def transfer(self, target: str) -> bool:
        return bool(await self._unless_cut(self._session.transfer(target)))

    async def _unless_cut(self, work: Coroutine[Any, Any, T]) -> T:
        if self._cut.is_set():
            work.close()
            raise CallEnded(EndReason.COMPLETED)
        task = asyncio.ensure_future(work)
        cut = asyncio.ensure_future(self._cut.wait())
        try:
            await asyncio.wait({task, cut}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            cut.cancel()
            if not task.done():
                task.cancel()  # the session stops its prompt (or its listening) as it unwinds
                with contextlib.suppress(asyncio.CancelledError, CallEnded):
                    await task
        if task.cancelled():
            raise CallEnded(EndReason.COMPLETED)
        return task.result()


def message_script(script: Script, action_id: str | None) -> Script | None:
    """The scenario cut down to its voicemail message: that PLAY_MESSAGE action alone, then the
    end of the call (what it leads to in the scenario is for people, not for a recording).
    None when the scenario has no such action (changed since the campaign started)."""
    if action_id is None:
        return None
    action = script.actions.get(action_id)
    if action is None or action.type is not ActionType.PLAY_MESSAGE:
        return None
    only = dataclasses.replace(action, next_action_id=None)
    return dataclasses.replace(script, root_action_id=action_id, actions={**script.actions, action_id: only})


def message_played(trace: CallTrace, action_id: str) -> bool:
    """The message step ran to its end (not cut by a hang-up or a fault)."""
    return any(step.action_id == action_id and step.result is StepResult.PLAYED for step in trace.steps)


RunScript = Callable[[Script, CallSession], Coroutine[Any, Any, CallTrace]]


class ScreenedCall:
    """One answered call with detection on: `run()` returns the scenario's trace (or the
    voicemail message's), `screening` what the detector decided and whether a message was left.

    `run_script(script, session)` runs a scenario on a session and hangs up at its end (the
    interpreter, with the contact's values and prompter bound by the caller)."""

    def __init__(
        self,
        session: CallSession,
        *,
        script: Script,
        run_script: RunScript,
        mode: str,
        voicemail_action: str,
        message_action_id: str | None,
        clock: Callable[[], Any],
        detector: AnsweringMachineDetector | None = None,
        message_wait: float = defaults.VOICEMAIL_MESSAGE_WAIT,
    ) -> None:
        self._session = session
        self._script = script
        self._run_script = run_script
        self._mode = mode
        self._leave_message = voicemail_action == "leave_message"
        self._message_action_id = message_action_id
        self._clock = clock
        self.watch = AmdWatch(
            session, detector, message_wait=message_wait, listen_for_message=self._leave_message
        )
        self.screening: Screening | None = None

    async def run(self) -> CallTrace:
        self.watch.start()
        try:
            if self._mode == "async":
                return await self._run_async()
            return await self._run_sync()
        finally:
            await self.watch.stop()
            if self.screening is None:
                self.screening = Screening(self.watch.result)

    async def _run_sync(self) -> CallTrace:
        started = self._clock()
        await self.watch.decided.wait()
        if self.watch.result.verdict is not AmdVerdict.MACHINE:
            await self.watch.stop()
            self.screening = Screening(self.watch.result)
            return await self._run_script(self._script, self._session)
        trace = CallTrace(started_at=started)
        return await self._voicemail(trace)

    async def _run_async(self) -> CallTrace:
        screened = ScreenedSession(self._session)
        running = asyncio.ensure_future(self._run_script(self._script, screened))
        decided = asyncio.ensure_future(self.watch.decided.wait())
        try:
            await asyncio.wait({running, decided}, return_when=asyncio.FIRST_COMPLETED)
            if not running.done() and self.watch.result.verdict is AmdVerdict.MACHINE:
                screened.cut()  # the prompt stops where it is; no BYE: the voicemail handling goes on
                trace = await running
                return await self._voicemail(trace)
            trace = await running
        finally:
            decided.cancel()
            running.cancel()  # our own task cancelled: the interpreter hangs up and unwinds
        self.screening = Screening(self.watch.result)
        return trace

    async def _voicemail(self, trace: CallTrace) -> CallTrace:
        """A machine answered: leave the message if asked (after the greeting), hang up."""
        screening = self.screening = Screening(self.watch.result)
        session = self._session
        if self._leave_message:
            await self.watch.over.wait()  # the greeting ended, the wait ran out, or the call did
            message = message_script(self._script, self._message_action_id)
            if message is None:
                screening.error = f"the scenario has no PLAY_MESSAGE action {self._message_action_id!r}"
            elif not self.watch.ready and not session.ended:
                screening.error = "the greeting did not end (no beep, no silence) in time: no message left"
            elif not session.ended:
                left = await self._run_script(message, session)
                screening.message_left = message_played(left, message.root_action_id)
                trace.steps += left.steps
                trace.error = trace.error or left.error
        if screening.error is not None:
            log.info("call %s: %s", session.call_id, screening.error)
            trace.error = trace.error or screening.error
        if not session.ended:
            with contextlib.suppress(CallEnded):
                await session.hangup()
        trace.end_reason = session.end_reason or EndReason.COMPLETED
        trace.ended_at = self._clock()
        return trace
