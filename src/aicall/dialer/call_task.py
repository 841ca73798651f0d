"""One call, from dial to hang-up. Knows nothing of SQL: it returns a `CallResult`."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine, Mapping
from typing import Any, cast

from aicall.calls.outcomes import CallOutcome, EndReason
from aicall.clock import Clock, utc_now
from aicall.dialer.amd_screen import ScreenedCall
from aicall.dialer.jobs import CallJob, CallResult
from aicall.dialer.shutdown import HangUp
from aicall.interpreter.prompter import Prompter
from aicall.interpreter.runner import run_script
from aicall.interpreter.script import Script
from aicall.interpreter.trace import CallTrace
from aicall.media import Audio
from aicall.speech import readiness
from aicall.speech.asr_types import AsrEngine
from aicall.speech.errors import TtsError
from aicall.telephony.session import CallSession, DialRequest, DialResult, Heard, TelephonyBackend

log = logging.getLogger("aicall.dialer")
SHUTDOWN_WHILE_RINGING = (
    "the platform stopped while the call was ringing (grace over or cut short); not charged"
)
NO_SCRIPT = "the campaign has no scenario: nothing to say"


async def place_call(
    job: CallJob,
    *,
    backend: TelephonyBackend,
    prompter_for: Callable[[Script, bool], Prompter],
    clock: Clock = utc_now,
    interrupt: HangUp | None = None,
    asr: AsrEngine | None = None,
    asr_timeout: float = 10.0,
) -> CallResult:
    """Dial, run the script, hang up. `interrupt` set (a shutdown's grace is over) abandons a
    ringing dial (CANCEL) or hangs up a live call (BYE), which ends with `EndReason.SHUTDOWN`.

    Nobody is dialled whom the call cannot speak to: a job with no script (its campaign has no
    scenario; the claim pauses such a campaign, this is the second guard) fails at once, and
    every prompt it can reach is rendered with the contact's values first (the scenario may
    have changed since the import). Either way the result is `not_dialled`: failed, uncharged."""
    if job.script is None:
        return _not_dialled(job, clock, NO_SCRIPT)
    script = job.script
    unspeakable = _unspeakable(job, script, clock)
    if unspeakable is not None:
        return unspeakable
    request = DialRequest(
        call_id=job.attempt_id,
        to_number=job.phone,
        from_number=job.hotline,
        ring_timeout=job.settings.ring_timeout,
        max_duration=job.settings.max_duration,
        record=job.settings.record,
        trunk=job.trunk,
        asserted_identity=job.asserted_identity,
        privacy=job.privacy,
    )
    await _prefetch(job, prompter_for)
    started = clock()
    try:
        dial = await _originate(backend, request, interrupt)
    except Exception as exc:  # a backend fault is this call's failure, never the dialer's
        log.exception(
            "originate failed", extra={"attempt_id": job.attempt_id, "campaign_id": job.campaign_id}
        )
        return CallResult(
            job,
            CallOutcome.FAILED,
            started_at=started,
            ended_at=clock(),
            error=f"{type(exc).__name__}: {exc}",
        )
    if dial is None:
        return CallResult(
            job,
            CallOutcome.FAILED,
            started_at=started,
            ended_at=clock(),
            error=SHUTDOWN_WHILE_RINGING,
            end_reason=EndReason.SHUTDOWN,
        )
    result = CallResult(
        job,
        dial.outcome,
        sip_code=dial.sip_code,
        sip_reason=dial.reason,
        started_at=dial.started_at or started,
        answered_at=dial.answered_at,
    )
    session = dial.session
    if session is None:
        result.ended_at = clock()
        return result
    if result.answered_at is None:
        result.answered_at = clock()
    # The simulator keeps its own (scaled) call clock; use it so step times match the call.
    call_clock = getattr(session, "now", clock)
    timed = _FirstAudio(session)
    prompter = _prompter(job, script, prompter_for)

    def run(what: Script, on: CallSession) -> Coroutine[Any, Any, CallTrace]:
        return run_script(
            what,
            on,
            values=job.tags,
            prompter=prompter,
            clock=call_clock,
            asr=asr,
            asr_timeout=asr_timeout,
        )

    if job.settings.amd:
        screened = ScreenedCall(
            cast(CallSession, timed),
            script=script,
            run_script=run,
            mode=job.settings.amd_mode,
            voicemail_action=job.settings.voicemail_action,
            message_action_id=job.settings.voicemail_message_action_id,
            clock=call_clock,
        )
        result.trace = await _until_interrupted(screened.run(), session, interrupt)
        _screened(result, screened)
    else:
        result.trace = await _until_interrupted(run(script, cast(CallSession, timed)), session, interrupt)
    result.extra["first_audio_seconds"] = timed.seconds
    result.ended_at = session.ended_at or clock()
    result.recording_path = session.recording_path
    return result


def _screened(result: CallResult, screened: ScreenedCall) -> None:
    """A machine answered: outcome `voicemail` (the campaign's `voicemail` retry rule applies),
    the detector's decision on the attempt either way."""
    screening = screened.screening
    if screening is None:
        return
    result.amd = screening.to_dict()
    if screening.machine and result.outcome is CallOutcome.ANSWERED:
        result.outcome = CallOutcome.VOICEMAIL
    log.info(
        "answering-machine detection: %s (%s) after %.2f s",
        screening.result.verdict.value,
        screening.result.reason,
        screening.result.decided_after,
        extra={"attempt_id": result.job.attempt_id, "campaign_id": result.job.campaign_id},
    )


class _FirstAudio:
    """The answered session as the interpreter sees it, timing the silence before the first
    prompt (rendering and TTS included): the `aicall_answer_to_first_audio_seconds` metric.
    Wall time, not the call's clock: a simulated call's scaled clock would hide a slow TTS."""

    def __init__(self, session: CallSession) -> None:
        self._session = session
        self._answered = time.monotonic()
        self.seconds: float | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)

    async def play(self, audio: Audio, *, barge_in: bool = True) -> bool:
        if self.seconds is None:
            self.seconds = time.monotonic() - self._answered
        return await self._session.play(audio, barge_in=barge_in)

    async def listen(self, prompt: Audio | None = None, **options: Any) -> Heard:
        if self.seconds is None and prompt is not None:
            self.seconds = time.monotonic() - self._answered
        return await self._session.listen(prompt, **options)


def _unspeakable(job: CallJob, script: Script, clock: Clock) -> CallResult | None:
    problem = readiness.first_unspeakable(script, job.tags)
    if problem is None:
        return None
    return _not_dialled(job, clock, problem.reason)


def _not_dialled(job: CallJob, clock: Clock, why: str) -> CallResult:
    """The contact fails at once, uncharged, with `not dialled: <why>` as the attempt's error."""
    reason = f"not dialled: {why}"
    log.warning(reason, extra={"contact_id": job.contact_id, "campaign_id": job.campaign_id})
    now = clock()
    return CallResult(job, CallOutcome.FAILED, started_at=now, ended_at=now, error=reason, not_dialled=reason)


async def _originate(
    backend: TelephonyBackend, request: DialRequest, interrupt: HangUp | None
) -> DialResult | None:
    """The dial's result, or None when `interrupt` came first: the dial is cancelled (a SIP
    backend sends CANCEL). A dial that ends anyway meanwhile keeps its result.

    The dial runs in the call's own task, which the hang-up cancels (and this function
    un-cancels): no second task per call."""
    if interrupt is None:
        return await backend.originate(request)
    task = asyncio.current_task()
    assert task is not None  # called from a call's task
    cut: list[bool] = []

    def abandon() -> None:
        cut.append(True)
        task.cancel()

    unsubscribe = interrupt.subscribe(abandon)
    try:
        dial = await backend.originate(request)
    except asyncio.CancelledError:
        if cut and task.uncancel() == 0:
            return None  # abandoned by the shutdown, not our own task cancelled
        raise
    except Exception:
        if cut:
            task.uncancel()
            return None  # its CANCEL failed; the dial is abandoned all the same
        raise
    finally:
        unsubscribe()
    if cut:
        task.uncancel()  # the dial ended by itself as the hang-up came: it keeps its result
    return dial


async def _until_interrupted(
    script: Coroutine[Any, Any, CallTrace], session: CallSession, interrupt: HangUp | None
) -> CallTrace:
    """Run the script; if `interrupt` is set first, hang up: the interpreter meets the end of
    the call as it meets a callee's hang-up, and returns its trace, marked `SHUTDOWN`."""
    if interrupt is None:
        return await script
    hang_ups: list[asyncio.Future[None]] = []
    cut: list[bool] = []

    def hang_up() -> None:
        cut.append(not session.ended)
        hang_ups.append(asyncio.ensure_future(session.hangup()))

    unsubscribe = interrupt.subscribe(hang_up)
    try:
        trace = await script
    finally:
        unsubscribe()
    if hang_ups:
        await asyncio.gather(*hang_ups, return_exceptions=True)
    if cut and cut[0]:
        trace.end_reason = EndReason.SHUTDOWN
    return trace


async def _prefetch(job: CallJob, prompter_for: Callable[[Script, bool], Prompter]) -> None:
    """Before dialling, synthesise what this contact will hear (`engine.PrompterFactory.prefetch`,
    bounded, never failing): a slow neural voice then costs the callee nothing at the answer."""
    prefetch = getattr(prompter_for, "prefetch", None)
    if prefetch is not None and job.script is not None and (job.trunk is not None or job.settings.record):
        await prefetch(job.script, job.tags)


def _prompter(job: CallJob, script: Script, prompter_for: Callable[[Script, bool], Prompter]) -> Prompter:
    """Synthesised prompts where someone hears them: a real call, or a recording of a simulated
    one. A simulated call nobody records keeps the text-only prompts, so the engine's load tests
    on the simulator pay for no TTS."""
    if job.trunk is not None:
        return prompter_for(script, True)
    if job.settings.record:
        return _RecordedSimulatedPrompts(prompter_for(script, True), prompter_for(script, False))
    return prompter_for(script, False)


class _RecordedSimulatedPrompts:
    """The prompts of a recorded simulated call: synthesised and cached as a real call's are.

    Nobody is on a simulated line, so a TTS fault (espeak-ng not installed, a neural voice's
    server down) must not end the call in error: the prompt plays as text (silence in the
    recording), and the fault is logged once per process per message.
    """

    _warned: set[str] = set()  # noqa: RUF012 -- shared on purpose: one warning per process, not per call

    def __init__(self, spoken: Prompter, text_only: Prompter) -> None:
        self._spoken = spoken
        self._text_only = text_only

    async def render(self, template: str, values: Mapping[str, str]) -> Audio:
        try:
            return await self._spoken.render(template, values)
        except TtsError as exc:
            if str(exc) not in self._warned:
                self._warned.add(str(exc))
                log.warning("simulated call recorded without speech: %s", exc)
            return await self._text_only.render(template, values)
