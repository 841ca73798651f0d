"""Runs one scenario on one answered call: prompts, keypad menus, transfer, hang-up.

`run_script` never raises for anything that can happen on a call (the callee hangs up, the
time limit hits, a prompt cannot be rendered, the script points nowhere): it ends the call
and says why in the returned `CallTrace`. Only cancellation of the calling task propagates,
after the call has been hung up.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from aicall.calls.outcomes import EndReason
from aicall.interpreter.prompter import Prompter
from aicall.interpreter.script import Action, ActionType, KeyResponse, Script
from aicall.interpreter.trace import CallTrace, Heard, Step, StepResult
from aicall.media import Audio, Utterance
from aicall.speech.asr import recognise
from aicall.speech.asr_types import AsrEngine
from aicall.speech.intents import IntentMatcher
from aicall.telephony.session import CallEnded, CallSession

__all__ = ["MAX_STEPS", "run_script", "utc_now"]

log = logging.getLogger(__name__)

MAX_STEPS = 100  # actions visited per call; far beyond any real scenario, so only a cycle hits it
MAX_SPEECH = 8.0  # seconds: the cap on one spoken answer (a yes, a no, a "call me tomorrow")
ASR_TIMEOUT = 10.0  # seconds the recogniser may take before the answer counts as silence


def utc_now() -> datetime:
    return datetime.now(UTC)


class _Stop(Exception):
    """Ends the run on our side: a fault recorded as `EndReason.ERROR` with this message."""


async def run_script(
    script: Script,
    session: CallSession,
    *,
    values: Mapping[str, str],
    prompter: Prompter,
    clock: Callable[[], datetime] = utc_now,
    max_steps: int = MAX_STEPS,
    asr: AsrEngine | None = None,
    asr_timeout: float = ASR_TIMEOUT,
) -> CallTrace:
    """Walk `script` on the live `session` from its root action; hang up at the end.

    `asr` recognises what the callee says at menus that listen (responseType SPEECH or
    KEYPAD_OR_SPEECH); without one, speech there counts as silence (the no-input path)."""
    run = _ScriptRun(script, session, values=values, prompter=prompter, clock=clock, max_steps=max_steps)
    run.asr, run.asr_timeout = asr, asr_timeout
    return await run.execute()


class _ScriptRun:
    def __init__(
        self,
        script: Script,
        session: CallSession,
        *,
        values: Mapping[str, str],
        prompter: Prompter,
        clock: Callable[[], datetime],
        max_steps: int,
    ) -> None:
        self.script = script
        self.session = session
        self.values = values
        self.prompter = prompter
        self.clock = clock
        self.max_steps = max_steps
        self.trace = CallTrace()
        self.asr: AsrEngine | None = None
        self.asr_timeout = ASR_TIMEOUT
        self._step: Step | None = None  # the step in progress, finished by whatever ends it

    async def execute(self) -> CallTrace:
        self.trace.started_at = self.clock()
        try:
            end_reason = await self._walk()
        except CallEnded as ended:
            self._finish_step(StepResult.ENDED)
            end_reason = ended.reason
        except _Stop as stop:
            self._fail(str(stop))
            end_reason = EndReason.ERROR
        except asyncio.CancelledError:
            self._finish_step(StepResult.ENDED)
            await self._hang_up()
            raise
        except Exception as exc:  # a faulty session must not kill the dialer's task: record it, end the call
            log.exception("scenario %s failed on call %s", self.script.scenario_id, self.session.call_id)
            self._fail(f"{type(exc).__name__}: {exc}")
            end_reason = EndReason.ERROR
        self.trace.end_reason = end_reason
        await self._hang_up()
        self.trace.ended_at = self.clock()
        return self.trace

    async def _walk(self) -> EndReason:
        root = self._action(self.script.root_action_id)
        # The root is the dial itself; its output is what happens once the callee answers.
        action_id = root.next_action_id if root.type is ActionType.OUTBOUND_CALL else root.id
        visits = 0
        while action_id is not None:
            visits += 1
            if visits > self.max_steps:
                raise _Stop(f"loop guard: more than {self.max_steps} actions visited; the script cycles")
            action = self._action(action_id)
            match action.type:
                case ActionType.OUTBOUND_CALL:
                    action_id = action.next_action_id
                case ActionType.INTERACTIVE_MENU:
                    action_id = await self._menu(action)
                case ActionType.PLAY_MESSAGE:
                    action_id = await self._message(action)
                case ActionType.END_CALL:
                    await self._end_call(action)
                    return EndReason.COMPLETED
                case ActionType.TRANSFER_CALL:
                    return await self._transfer(action)
        return EndReason.COMPLETED

    async def _menu(self, action: Action) -> str | None:
        """Play the prompt and follow the key; replay on no input / a wrong key, then give up."""
        if action.response_type.speech:
            return await self._listening_menu(action)
        responses = {response.key: response for response in action.responses if response.key}
        max_digits = max((len(key) for key in responses), default=1)
        # A key that contains '#' must reach us as a digit, not be eaten as the terminator.
        terminator = None if any("#" in key for key in responses) else "#"
        audio = await self._render(action)  # opens the step of the first play
        last_result = StepResult.NO_INPUT
        for repeat in range(max(0, action.max_retries) + 1):
            if repeat:
                self._begin(action, repeat=repeat, text=audio.text)
            step = self._current()
            step.interrupted = await self._play(audio, barge_in=action.barge_in)
            keys = await self.session.collect_digits(
                max_digits=max_digits, timeout=action.timeout, terminator=terminator
            )
            step.keys = keys
            self.trace.keys_pressed += keys
            if keys in responses:
                self._finish_step(StepResult.MATCHED)
                if responses[keys].opt_out:
                    # Reported, not acted on: listing the number is the result store's (the
                    # interpreter touches no storage). The script's goodbye still plays.
                    self.trace.opted_out = True
                return responses[keys].next_action_id
            last_result = StepResult.INVALID if keys else StepResult.NO_INPUT
            self._finish_step(last_result)
        # The last try decides which way out: silence and wrong keys lead to different places.
        if last_result is StepResult.NO_INPUT:
            return action.no_input_action_id
        return action.invalid_action_id

    async def _listening_menu(self, action: Action) -> str | None:
        """A menu answered by voice (or, with KEYPAD_OR_SPEECH, by keys too): listen while the
        prompt plays, recognise, match an intent; silence and recogniser faults are no input,
        words that match no response are invalid, as keys are."""
        keyed = {response.key: response for response in action.responses if response.key}
        spoken = {response.intent: response for response in action.responses if response.intent}
        matcher = IntentMatcher({intent: list(r.phrases) for intent, r in spoken.items()})
        max_digits = max((len(key) for key in keyed), default=1)
        terminator = None if any("#" in key for key in keyed) else "#"
        audio = await self._render(action)
        prompt = audio if audio.text or audio.duration > 0 else None
        last_result = StepResult.NO_INPUT
        for repeat in range(max(0, action.max_retries) + 1):
            if repeat:
                self._begin(action, repeat=repeat, text=audio.text)
            step = self._current()
            heard = await self.session.listen(
                prompt,
                barge_in=action.barge_in,
                timeout=action.timeout,
                max_speech=MAX_SPEECH,
                keys=action.response_type.keys,
            )
            step.interrupted = heard.interrupted
            chosen: KeyResponse | None = None
            if heard.key:
                keys = await self.session.collect_digits(
                    max_digits=max_digits, timeout=action.timeout, terminator=terminator
                )
                step.keys = keys
                self.trace.keys_pressed += keys
                chosen = keyed.get(keys)
                last_result = StepResult.INVALID if keys else StepResult.NO_INPUT
            elif heard.utterance is not None:
                step.heard = await self._recognise(heard.utterance, matcher)
                if step.heard.intent is not None:
                    chosen = spoken[step.heard.intent]
                last_result = StepResult.NO_INPUT if step.heard.transcript is None else StepResult.INVALID
            else:
                last_result = StepResult.NO_INPUT
            if chosen is not None:
                self._finish_step(StepResult.MATCHED)
                if chosen.opt_out:
                    self.trace.opted_out = True
                return chosen.next_action_id
            self._finish_step(last_result)
        if last_result is StepResult.NO_INPUT:
            return action.no_input_action_id
        return action.invalid_action_id

    async def _recognise(self, utterance: Utterance, matcher: IntentMatcher) -> Heard:
        if self.asr is None:
            return Heard(None, None, None, 0, "none", utterance.duration, "no speech recogniser configured")
        recognition = await recognise(self.asr, utterance, timeout=self.asr_timeout)
        elapsed = round(recognition.seconds * 1000)
        words = recognition.transcript.text.strip() if recognition.transcript is not None else ""
        if not words:
            # An engine that heard no words, or failed: silence, as far as the menu goes.
            error = recognition.error or "no words recognised"
            if recognition.error:
                log.warning("speech recognition failed on call %s: %s", self.session.call_id, error)
            return Heard(None, None, None, elapsed, recognition.engine, utterance.duration, error)
        match = matcher.match(words)
        return Heard(
            transcript=words,
            intent=match.intent if match else None,
            confidence=match.confidence if match else None,
            recognition_ms=elapsed,
            engine=recognition.engine,
            speech_seconds=round(utterance.duration, 2),
        )

    async def _message(self, action: Action) -> str | None:
        audio = await self._render(action)
        # Keys are for menus: a message plays in full; a key pressed meanwhile waits in the
        # session's buffer for the next menu (type-ahead).
        self._current().interrupted = await self._play(audio, barge_in=False)
        self._finish_step(StepResult.PLAYED)
        return action.next_action_id

    async def _end_call(self, action: Action) -> None:
        audio = await self._render(action)
        await self._play(audio, barge_in=False)
        self._finish_step(StepResult.HANGUP)
        await self.session.hangup()

    async def _transfer(self, action: Action) -> EndReason:
        audio = await self._render(action)
        if not action.transfer_to:
            raise _Stop(f"transfer action {action.id!r} has no target")
        await self._play(audio, barge_in=False)
        if await self.session.transfer(action.transfer_to):
            self._finish_step(StepResult.TRANSFERRED)
            self.trace.transferred_to = action.transfer_to
            return EndReason.TRANSFERRED
        self._finish_step(StepResult.TRANSFER_FAILED)
        self.trace.error = f"transfer to {action.transfer_to} was refused"
        return EndReason.ERROR

    async def _render(self, action: Action) -> Audio:
        """Open the action's first step and render its prompt (a menu replays the same audio)."""
        step = self._begin(action, repeat=0, text="")
        if not action.content_text.strip():
            return Audio(text="", duration=0.0)
        try:
            audio = await self.prompter.render(action.content_text, self.values)
        except Exception as exc:  # the speech layer's errors are many; each ends the call the same way
            raise _Stop(f"cannot render the prompt of action {action.id!r}: {exc}") from exc
        step.text = audio.text
        return audio

    async def _play(self, audio: Audio, *, barge_in: bool) -> bool:
        if not audio.text and audio.duration <= 0:
            return False  # nothing to say (an empty goodbye): do not bother the session
        return await self.session.play(audio, barge_in=barge_in)

    def _action(self, action_id: str) -> Action:
        try:
            return self.script.action(action_id)
        except KeyError:
            raise _Stop(
                f"action {action_id!r} does not exist in scenario {self.script.scenario_id}"
            ) from None

    def _begin(self, action: Action, *, repeat: int, text: str) -> Step:
        self._step = Step(
            action_id=action.id,
            label=action.label,
            type=action.type,
            at=self.clock(),
            repeat=repeat,
            text=text,
        )
        return self._step

    def _current(self) -> Step:
        assert self._step is not None, "a step is opened before it is used"
        return self._step

    def _finish_step(self, result: StepResult) -> None:
        if self._step is not None:
            self._step.result = result
            self.trace.steps.append(self._step)
            self._step = None

    def _fail(self, message: str) -> None:
        self._finish_step(StepResult.ERROR)
        self.trace.error = message

    async def _hang_up(self) -> None:
        if self.session.ended:
            return
        try:
            await self.session.hangup()
        except CallEnded:
            pass  # ended meanwhile: that is all we wanted
        except Exception:  # the trace is already decided; a failed BYE must not lose it
            log.exception("hang-up failed on call %s", self.session.call_id)
