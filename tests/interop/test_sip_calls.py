"""Our sip backend placing calls to SIPp: what SIPp receives decides whether a test passes."""

from __future__ import annotations

import math
import struct

from aicall.calls.outcomes import CallOutcome, EndReason
from aicall.media import Audio
from aicall.telephony.session import DialRequest, TelephonyBackend
from aicall.telephony.sip import SipBackend

from .conftest import Sipp, assert_sipp_ok


def tone(seconds: float, frequency: float = 440.0, amplitude: int = 8000) -> Audio:
    samples = int(8000 * seconds)
    pcm = struct.pack(
        f"<{samples}h", *(int(amplitude * math.sin(2 * math.pi * frequency * n / 8000)) for n in range(samples))
    )
    return Audio.from_pcm("tone", pcm)


def dial(sipp: Sipp, call_id: str = "attempt-1", **overrides: object) -> DialRequest:
    values: dict[str, object] = {
        "call_id": call_id,
        "to_number": "+84987654321",
        "from_number": "+84281234567",
        "ring_timeout": 10.0,
        "max_duration": 30.0,
        "trunk": sipp.trunk(),
    }
    values.update(overrides)
    return DialRequest(**values)  # type: ignore[arg-type]


def test_sip_backend_is_a_telephony_backend() -> None:
    backend: TelephonyBackend = SipBackend()
    assert backend.name == "sip"


async def test_answered_call_plays_a_prompt_and_our_bye_reaches_the_far_end(sipp: Sipp, backend: SipBackend) -> None:
    await sipp.start("answer_wait_bye.xml")

    result = await backend.originate(dial(sipp))

    assert result.outcome is CallOutcome.ANSWERED, result
    assert result.sip_code == 200
    assert result.session is not None
    interrupted = await result.session.play(tone(0.5))
    assert interrupted is False
    await result.session.hangup()
    assert result.session.end_reason is EndReason.COMPLETED
    assert_sipp_ok(await sipp.wait())
