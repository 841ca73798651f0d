"""`SipCallSession.callee_audio` (issue 15, answering-machine detection): the far end's RTP as
20 ms PCM frames in call time, whatever its packetisation (30, 10, 60, 20 ms in one call), with
or without recording, for several readers at once, beside a key being collected; it ends with
the call, and a reader that stops costs the call nothing."""

from __future__ import annotations

import asyncio
import math
import struct

import pytest

from aicall.calls.outcomes import EndReason
from aicall.telephony.session import CALLEE_FRAME_BYTES
from aicall.telephony.sip import SipBackend

from .conftest import Sipp, assert_sipp_ok, dial_request, write_media_pcap


def loud(frame: bytes) -> bool:
    samples = struct.unpack(f"<{len(frame) // 2}h", frame)
    return math.sqrt(sum(s * s for s in samples) / len(samples)) > 2000


@pytest.mark.parametrize("record", [False, True], ids=["plain", "recorded"])
async def test_the_callee_audio_comes_in_20_ms_frames_whatever_the_far_ends_packets(
    sipp: Sipp, backend: SipBackend, record: bool
) -> None:
    talk = [(30, 0.6), (10, 0.4), (60, 0.6), (20, 0.2)]  # 1.8 s of a tone, then the key 4
    write_media_pcap(sipp.workdir / "media.pcap", talk, digit="4")
    await sipp.start("answer_play_pcap.xml")
    result = await backend.originate(dial_request(sipp.trunk(), record=record))
    session = result.session
    assert session is not None

    first: list[bytes] = []
    second: list[bytes] = []

    async def read(into: list[bytes], stop_after: int | None = None) -> None:
        async for frame in session.callee_audio():
            into.append(frame)
            if stop_after is not None and len(into) >= stop_after:
                return  # a reader that stops early: the other one and the call go on

    readers = [asyncio.create_task(read(first)), asyncio.create_task(read(second, stop_after=10))]
    digit = await session.collect_digits(max_digits=1, timeout=5.0)
    await asyncio.sleep(0.3)
    await session.hangup()
    await asyncio.wait_for(asyncio.gather(*readers), 5.0)  # the iteration ends with the call

    assert digit == "4" and session.end_reason is EndReason.COMPLETED
    assert_sipp_ok(await sipp.wait())
    assert backend.clock.failures == 0
    assert len(second) == 10
    assert all(len(frame) == CALLEE_FRAME_BYTES for frame in first)
    heard = [n for n, frame in enumerate(first) if loud(frame)]
    assert heard, "the far end's tone never reached the reader"
    talked = sum(seconds for _, seconds in talk)
    span = (heard[-1] - heard[0] + 1) * 0.02
    assert talked - 0.15 < span < talked + 0.15  # in call time: 30 and 60 ms packets played out evenly
    assert len(heard) * 0.02 > 0.9 * span  # no holes where the packet size changed
    # both readers got the same frames, from the moment each started (a tick may fall between)
    assert any(first[start : start + len(second)] == second for start in range(3))
