"""The simulator backend: dials virtual phones in-process, no network."""

from __future__ import annotations

import logging
import math
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from aicall.calls.outcomes import CallOutcome
from aicall.telephony.session import DialRequest, DialResult
from aicall.telephony.sim.callee import GreetingCache
from aicall.telephony.sim.rules import SimRules
from aicall.telephony.sim.session import SimCallSession, Speaker
from aicall.telephony.sim.timeline import VirtualTimeline, utc_now

__all__ = ["SimBackend"]

log = logging.getLogger(__name__)

CANCELLED = (487, "Request Terminated")  # what the far end says once we CANCEL a ringing call


class SimBackend:
    """A `TelephonyBackend` of virtual phones.

    Each number behaves by `rules` (or its last digit). Every wait is call seconds times
    `time_scale`: 1 is real time, 0.05 twenty times faster, 0 instant (still yielding to the
    event loop). Timestamps follow each call's own timeline; see `timeline.VirtualTimeline`.
    """

    name = "sim"

    def __init__(
        self,
        time_scale: float = 1.0,
        rules: SimRules | None = None,
        clock: Callable[[], datetime] = utc_now,
        *,
        recording_dir: str | Path | None = None,
        speaker: Speaker | None = None,
    ) -> None:
        if not time_scale >= 0 or math.isinf(time_scale):
            raise ValueError(f"time_scale must be a finite number >= 0, not {time_scale}")
        self.time_scale = time_scale
        self.rules = rules or SimRules()
        self.clock = clock
        self._recording_dir = Path(recording_dir) if recording_dir is not None else None
        self.speaker = speaker  # what the phones' `say` words sound like (e.g. espeak-ng); None: words only
        self.live: set[SimCallSession] = set()  # answered calls not yet over
        self._greetings = GreetingCache(speaker)  # the phones' greetings, spoken once per text

    async def start(self) -> None:
        """Nothing to open: the phones live in this process."""

    async def close(self) -> None:
        """Hang up whatever is still on the line."""
        for session in list(self.live):
            await session.hangup()

    async def originate(self, request: DialRequest) -> DialResult:
        behaviour = self.rules.behaviour_for(request.to_number)
        timeline = VirtualTimeline(start=self.clock(), scale=self.time_scale)
        started_at = timeline.now()
        ring = behaviour.ring_for(request.to_number)
        if ring >= request.ring_timeout:
            # Still ringing when our patience runs out: we CANCEL, whatever it would have done.
            await timeline.sleep(request.ring_timeout)
            code, phrase = CANCELLED
            return DialResult(
                outcome=CallOutcome.NO_ANSWER,
                sip_code=code,
                reason=f"{phrase} (no answer within {request.ring_timeout:g}s, cancelled)",
                started_at=started_at,
            )
        await timeline.sleep(ring)
        code, phrase = behaviour.sip_answer()
        if behaviour.outcome is not CallOutcome.ANSWERED:
            return DialResult(outcome=behaviour.outcome, sip_code=code, reason=phrase, started_at=started_at)
        session = SimCallSession(
            call_id=request.call_id,
            number=request.to_number,
            behaviour=behaviour,
            timeline=timeline,
            max_duration=request.max_duration,
            recording_to=self._recording_file(request) if request.record else None,
            on_end=self.live.discard,
            speaker=self.speaker,
            greetings=self._greeting_cache(),
        )
        self.live.add(session)
        log.debug("sim call %s to %s answered after %.1fs", request.call_id, request.to_number, ring)
        return DialResult(
            outcome=CallOutcome.ANSWERED,
            sip_code=code,
            reason=phrase,
            session=session,
            started_at=started_at,
            answered_at=session.answered_at,
        )

    def _greeting_cache(self) -> GreetingCache:
        if self._greetings.speaker is not self.speaker:  # the speaker was swapped after start
            self._greetings = GreetingCache(self.speaker)
        return self._greetings

    def _recording_file(self, request: DialRequest) -> Path:
        if self._recording_dir is None:
            # Recording was asked for but no place given: keep the files for this backend's life.
            self._recording_dir = Path(tempfile.mkdtemp(prefix="aicall-sim-recordings-"))
        safe_id = "".join(char if char.isalnum() or char in "-_." else "_" for char in request.call_id)
        return self._recording_dir / f"{safe_id}.wav"
