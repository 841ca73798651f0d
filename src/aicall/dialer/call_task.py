"""One call, from dial to hang-up. Knows nothing of SQL: it returns a `CallResult`."""

from __future__ import annotations

import logging
from collections.abc import Callable

from aicall.calls.outcomes import CallOutcome
from aicall.clock import Clock, utc_now
from aicall.dialer.jobs import CallJob, CallResult
from aicall.interpreter.prompter import Prompter
from aicall.interpreter.runner import run_script
from aicall.interpreter.script import Script
from aicall.telephony.session import DialRequest, TelephonyBackend

log = logging.getLogger("aicall.dialer")


async def place_call(
    job: CallJob,
    *,
    backend: TelephonyBackend,
    prompter_for: Callable[[Script, bool], Prompter],
    clock: Clock = utc_now,
) -> CallResult:
    request = DialRequest(
        call_id=job.attempt_id,
        to_number=job.phone,
        from_number=job.hotline,
        ring_timeout=job.settings.ring_timeout,
        max_duration=job.settings.max_duration,
        record=job.settings.record,
        trunk=job.trunk,
    )
    started = clock()
    try:
        dial = await backend.originate(request)
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
    if job.script is None:
        await session.hangup()
    else:
        # The simulator keeps its own (scaled) call clock; use it so step times match the call.
        call_clock = getattr(session, "now", clock)
        result.trace = await run_script(
            job.script,
            session,
            values=job.tags,
            prompter=prompter_for(job.script, job.trunk is not None),
            clock=call_clock,
        )
    result.ended_at = session.ended_at or clock()
    result.recording_path = session.recording_path
    return result
