"""Answering-machine detection over real SIP and RTP (issue 15): SIPp answers a campaign's call
and plays, as PCMA RTP from a pcap, either a voicemail greeting with its beep (in 30 ms packets)
or a person's short "A lô" (20 ms packets) followed by silence. The voicemail's attempt ends
`voicemail` with the campaign's message left after the beep, then our BYE; the person hears the
scenario. The clips are spoken by espeak-ng and brought to 8 kHz by sox on the spot."""

from __future__ import annotations

import asyncio
import math
import shutil
import struct
import subprocess
from datetime import datetime
from pathlib import Path

from aiortp import RtpPacket
from aiortp.codecs import get_codec

from .conftest import Sipp, _pcap, assert_sipp_ok
from .sip_campaign import run_sip_campaign

RATE = 8000


def spoken(text: str, path: Path, *, speed: int = 150) -> bytes:
    """`text` said by espeak-ng's Vietnamese voice, as 8 kHz s16le mono PCM (sox resamples)."""
    wav = path.with_suffix(".wav")
    subprocess.run(["espeak-ng", "-v", "vi", "-s", str(speed), "-w", str(wav), text], check=True, timeout=30)
    raw = subprocess.run(
        ["sox", str(wav), "-r", str(RATE), "-c", "1", "-b", "16", "-e", "signed-integer", "-t", "raw", "-"],
        check=True,
        capture_output=True,
        timeout=30,
    ).stdout
    return raw


def silence(seconds: float) -> bytes:
    return bytes(round(seconds * RATE) * 2)


def beep(seconds: float = 0.5, hz: float = 1000.0) -> bytes:
    n = round(seconds * RATE)
    return struct.pack(f"<{n}h", *(int(9000 * math.sin(2 * math.pi * hz * i / RATE)) for i in range(n)))


def write_pcap(path: Path, pcm: bytes, *, ptime_ms: int) -> None:
    """`pcm` as PCMA RTP packets of `ptime_ms`, timed as a far end sends them."""
    codec = get_codec(8)
    step = ptime_ms * 8 * 2
    packets = []
    for index, start in enumerate(range(0, len(pcm) - step + 1, step)):
        rtp = RtpPacket(
            payload_type=8, marker=1 if index == 0 else 0, sequence_number=1 + index,
            timestamp=8000 + index * step // 2, ssrc=0x4D41, payload=codec.encode(pcm[start : start + step]),
        ).serialize()  # fmt: skip
        packets.append((index * ptime_ms / 1000, rtp))
    path.write_bytes(_pcap(packets))


def tools(require_tool) -> None:
    require_tool("espeak-ng")
    require_tool("sox")
    assert shutil.which("espeak-ng") and shutil.which("sox")


async def test_a_voicemail_over_rtp_gets_the_message_after_its_beep_and_ends_voicemail(
    sipp: Sipp, tmp_path: Path, require_tool
):
    tools(require_tool)
    greeting = await asyncio.to_thread(
        spoken,
        "Xin chào, bạn đã gọi đến hộp thư thoại của Nguyễn Văn An. Hiện tôi không thể nghe máy, "
        "vui lòng để lại lời nhắn sau tiếng bíp.",
        sipp.workdir / "greeting",
    )
    write_pcap(
        sipp.workdir / "media.pcap",
        silence(0.4) + greeting + silence(0.3) + beep() + silence(12),
        ptime_ms=30,
    )
    await sipp.start("answer_play_pcap.xml", timeout=60)

    attempt, events, tenant = await run_sip_campaign(
        tmp_path,
        sipp.port,
        settings={
            "amd": True,
            "voicemailAction": "leave_message",
            "voicemailMessageActionId": "MESSAGE",
            "retry": {"voicemail": {"maxAttempts": 1, "interval": 3600}},
        },
    )

    assert_sipp_ok(await sipp.wait())  # our BYE came after the message
    assert attempt.outcome == "voicemail" and attempt.sip_code == 200
    assert attempt.amd is not None and attempt.amd["verdict"] == "machine", attempt.amd
    assert attempt.amd["message_left"] is True
    greeting_seconds = len(greeting) / 2 / RATE
    assert attempt.amd["decided_after"] < 0.4 + greeting_seconds  # before the greeting was over
    [message] = attempt.path
    assert message["action_id"] == tenant["message_action_id"] and message["result"] == "played"
    assert message["text"] == "Chào Lan, chúng tôi sẽ gọi lại sau."
    # The message started after the beep, which ends 0.4 + greeting + 0.3 + 0.5 s into the call.
    assert attempt.answered_at is not None
    beep_over = attempt.answered_at.timestamp() + 0.4 + greeting_seconds + 0.8
    assert datetime.fromisoformat(message["at"]).timestamp() >= beep_over
    data = events["call.attempt.finished"]["data"]
    assert data["attempt"]["outcome"] == "voicemail" and data["attempt"]["amd"]["message_left"] is True
    assert data["retry"]["scheduled"] is True


async def test_a_person_saying_a_lo_over_rtp_hears_the_scenario(sipp: Sipp, tmp_path: Path, require_tool):
    tools(require_tool)
    hello = await asyncio.to_thread(spoken, "A lô", sipp.workdir / "hello", speed=170)
    write_pcap(sipp.workdir / "media.pcap", silence(0.5) + hello + silence(12), ptime_ms=20)
    await sipp.start("answer_play_pcap.xml", timeout=60)

    attempt, events, _ = await run_sip_campaign(tmp_path, sipp.port, settings={"amd": True})

    assert_sipp_ok(await sipp.wait())
    assert attempt.outcome == "answered"
    assert attempt.amd is not None and attempt.amd["verdict"] == "human", attempt.amd
    assert attempt.amd["message_left"] is False
    assert attempt.path[0]["label"] == "greeting" and attempt.path[0]["text"].startswith("Xin chào Lan")
    assert events["call.attempt.finished"]["data"]["attempt"]["amd"]["verdict"] == "human"
