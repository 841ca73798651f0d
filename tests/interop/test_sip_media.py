"""RTP against far ends that do what real ones do: change packetisation mid-call, hold with
`c=0.0.0.0`, sit behind NAT; and recordings that fail. Issue 15, faults 1 and 7, latching."""

from __future__ import annotations

import asyncio
import dataclasses
import math
import struct
import wave
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from aicall.calls.outcomes import CallOutcome, EndReason
from aicall.telephony.sip import SipBackend
from aicall.telephony.sip.sdp import media_answer

from .conftest import (
    FAST_TIMERS,
    Sipp,
    answered_by,
    assert_sipp_ok,
    dial_request,
    offer_in_dialog,
    write_media_pcap,
)
from .peers import MediaSocket, UdpPeer, sdp_body

FRAME = 160  # samples in 20 ms


def rms(samples: tuple[int, ...] | list[int]) -> float:
    return math.sqrt(sum(s * s for s in samples) / max(1, len(samples)))


def channels(path: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    with wave.open(path) as wav:
        assert (wav.getnchannels(), wav.getframerate(), wav.getsampwidth()) == (2, 8000, 2)
        frames = wav.readframes(wav.getnframes())
    samples = struct.unpack(f"<{len(frames) // 2}h", frames)
    return samples[0::2], samples[1::2]


# -- fault 1: any packetisation, with and without recording ------------------------------------


@pytest.mark.parametrize("record", [True, False], ids=["recorded", "unrecorded"])
async def test_far_end_changing_packetisation_mid_call_keeps_keys_media_and_recording(
    sipp: Sipp, backend: SipBackend, record: bool
) -> None:
    # 30 ms packets (240-byte PCMA frames, what broke recorded calls), then 10, 60 and 20 ms
    talk = [(30, 0.6), (10, 0.4), (60, 0.6), (20, 0.2)]
    write_media_pcap(sipp.workdir / "media.pcap", talk, digit="4")
    await sipp.start("answer_play_pcap.xml")

    result = await backend.originate(dial_request(sipp.trunk(), record=record))
    assert result.session is not None
    digit = await result.session.collect_digits(max_digits=1, timeout=5.0)
    sent = result.session.stream.packets_sent
    await asyncio.sleep(0.2)
    still_sending = result.session.stream.packets_sent - sent
    await result.session.hangup()

    assert digit == "4"
    assert still_sending >= 5  # our RTP never stopped
    assert result.session.end_reason is EndReason.COMPLETED
    assert backend.clock.failures == 0
    assert_sipp_ok(await sipp.wait())
    if not record:
        return
    assert result.session.recording_path is not None and not result.session.recording_failed
    _, received = channels(result.session.recording_path)
    loud = [n for n in range(len(received) // FRAME) if rms(received[n * FRAME : (n + 1) * FRAME]) > 2000]
    assert loud, "the far end's voice is missing from the recording"
    talked = sum(seconds for _, seconds in talk)
    span = (loud[-1] - loud[0] + 1) * 0.02
    assert talked - 0.15 < span < talked + 0.15  # played out at its own pace, whatever the packets
    assert len(loud) * 0.02 > 0.9 * span  # without holes where the packet size changed


async def test_a_recording_that_fails_mid_call_leaves_the_call_going(
    sipp: Sipp, backend: SipBackend, tmp_path: Path
) -> None:
    # the recording's file is a full disk: its first flush (after 1 s) fails with ENOSPC
    recordings = tmp_path / "recordings"
    recordings.mkdir(exist_ok=True)
    (recordings / "attempt-full.wav").symlink_to("/dev/full")
    write_media_pcap(sipp.workdir / "media.pcap", [(20, 1.6)], digit="7")
    await sipp.start("answer_play_pcap.xml")

    result = await backend.originate(dial_request(sipp.trunk(), call_id="attempt-full", record=True))
    assert result.session is not None
    digit = await result.session.collect_digits(max_digits=1, timeout=5.0)
    sent = result.session.stream.packets_sent
    await asyncio.sleep(0.2)
    still_sending = result.session.stream.packets_sent - sent
    await result.session.hangup()

    assert digit == "7"  # heard after the recording broke
    assert result.session.recording_failed
    assert still_sending >= 5
    assert result.session.end_reason is EndReason.COMPLETED
    assert_sipp_ok(await sipp.wait())


async def test_a_recording_that_cannot_start_leaves_the_call_unrecorded_not_dropped(
    sipp: Sipp, tmp_path: Path
) -> None:
    not_a_directory = tmp_path / "recordings"
    not_a_directory.write_text("a file where the recordings directory should be")
    backend = SipBackend(rtp_port_range=None, recordings_dir=not_a_directory / "calls", timers=FAST_TIMERS)
    await backend.start()
    try:
        write_media_pcap(sipp.workdir / "media.pcap", [(20, 0.4)], digit="2")
        await sipp.start("answer_play_pcap.xml")

        result = await backend.originate(dial_request(sipp.trunk(), record=True))
        assert result.outcome is CallOutcome.ANSWERED, result
        assert result.session is not None and result.session.recording_path is None
        assert await result.session.collect_digits(max_digits=1, timeout=5.0) == "2"
        await result.session.hangup()
        assert_sipp_ok(await sipp.wait())
    finally:
        await backend.close()


# -- fault 7 and latching: where our RTP goes ------------------------------------------------


async def test_hold_with_connection_address_zero_stops_our_rtp_until_resumed(
    peer: UdpPeer, live_backend: SipBackend, media_socket: Callable[[], Awaitable[MediaSocket]]
) -> None:
    media = await media_socket()
    loop = asyncio.get_running_loop()
    invite, result = await answered_by(live_backend, peer, media.port)
    session = result.session
    assert session is not None
    await asyncio.sleep(0.3)
    assert media.count_since(0) >= 8

    await offer_in_dialog(
        peer, invite, "INVITE", sdp_body(media.port, address="0.0.0.0", version=2)
    )  # RFC 2543 hold
    await asyncio.sleep(0.1)  # packets already on the way
    held_at = loop.time()
    await asyncio.sleep(0.6)
    during_hold = media.count_since(held_at)  # to 0.0.0.0, which the kernel delivers to loopback

    await offer_in_dialog(peer, invite, "INVITE", sdp_body(media.port, version=3))
    resumed_at = loop.time()
    await asyncio.sleep(0.4)
    after = media.count_since(resumed_at)
    await session.hangup()

    assert during_hold == 0
    assert after >= 10
    first_after = next(data for when, data in media.arrivals if when >= resumed_at)
    assert first_after[1] & 0x80  # marker bit: a talkspurt starts again (RFC 3551 §4.1)


@pytest.mark.parametrize("symmetric", [True, False], ids=["latching", "sdp-address"])
async def test_rtp_goes_where_the_far_ends_rtp_comes_from_unless_turned_off(
    peer: UdpPeer, symmetric: bool, media_socket: Callable[[], Awaitable[MediaSocket]]
) -> None:
    backend = SipBackend(
        rtp_port_range=None, timers=dataclasses.replace(FAST_TIMERS, dead_media=30.0), symmetric_rtp=symmetric
    )
    await backend.start()
    try:
        in_sdp, behind_nat = (
            await media_socket(),
            await media_socket(),
        )  # the SDP says one, RTP comes from the other
        invite, result = await answered_by(backend, peer, in_sdp.port)
        session = result.session
        assert session is not None
        ours = media_answer(invite)
        assert ours is not None and ours.remote is not None
        talking = behind_nat.talk(ours.remote)
        await asyncio.sleep(0.3)
        at = asyncio.get_running_loop().time()
        await asyncio.sleep(0.4)
        talking.cancel()
        await session.hangup()
    finally:
        await backend.close()

    if symmetric:
        assert behind_nat.count_since(at) >= 10 and in_sdp.count_since(at) == 0
    else:
        assert in_sdp.count_since(at) >= 10 and behind_nat.count_since(at) == 0
