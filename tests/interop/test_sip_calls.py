"""Our sip backend placing calls to SIPp: what SIPp receives decides whether a test passes."""

from __future__ import annotations

import asyncio
import hashlib
import math
import re
import struct
import wave
from pathlib import Path

import pytest

from aicall.calls.outcomes import CallOutcome, EndReason
from aicall.media import Audio
from aicall.telephony.session import CallEnded, CallSession, DialRequest, TelephonyBackend
from aicall.telephony.sip import SipBackend

from .conftest import FAST_TIMERS, SCENARIOS, Sipp, assert_sipp_ok, write_dtmf_pcap


def tone(seconds: float, frequency: float = 440.0, amplitude: int = 8000) -> Audio:
    samples = int(8000 * seconds)
    pcm = struct.pack(
        f"<{samples}h",
        *(int(amplitude * math.sin(2 * math.pi * frequency * n / 8000)) for n in range(samples)),
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


async def test_answered_call_plays_a_prompt_and_our_bye_reaches_the_far_end(
    sipp: Sipp, backend: SipBackend
) -> None:
    await sipp.start("answer_wait_bye.xml")

    result = await backend.originate(dial(sipp))

    assert result.outcome is CallOutcome.ANSWERED, result
    assert result.sip_code == 200
    assert isinstance(result.session, CallSession)
    assert result.started_at is not None and result.answered_at is not None
    interrupted = await result.session.play(tone(0.5))
    assert interrupted is False
    await result.session.hangup()
    assert result.session.end_reason is EndReason.COMPLETED
    assert_sipp_ok(await sipp.wait())


async def test_busy_far_end_gets_our_ack_and_the_call_is_busy(sipp: Sipp, backend: SipBackend) -> None:
    await sipp.start("busy.xml")

    result = await backend.originate(dial(sipp))

    assert (result.outcome, result.sip_code, result.session) == (CallOutcome.BUSY, 486, None)
    assert_sipp_ok(await sipp.wait())


async def test_ring_timeout_sends_cancel_then_acks_the_487(sipp: Sipp, backend: SipBackend) -> None:
    await sipp.start("ring_no_answer.xml")
    loop = asyncio.get_running_loop()
    started = loop.time()

    result = await backend.originate(dial(sipp, ring_timeout=1.5))

    assert (result.outcome, result.sip_code) == (CallOutcome.NO_ANSWER, 487)
    assert 1.4 < loop.time() - started < 3.0
    assert_sipp_ok(await sipp.wait())


def digest_scenario(sipp: Sipp, status: int) -> Path:
    """digest_answer_bye.xml as a registrar-style 401 or a proxy-style 407 challenge."""
    text = (SCENARIOS / "digest_answer_bye.xml").read_text()
    if status == 407:
        # SIPp's verifyauth reads Authorization only: the scenario requires the header and the
        # test checks the digest itself (proxy_digest_is_valid)
        text = text.replace("401 Unauthorized", "407 Proxy Authentication Required")
        text = text.replace("WWW-Authenticate:", "Proxy-Authenticate:")
        text = text.replace(
            '<verifyauth assign_to="authvalid" username="trunkuser" password="s3cret"/>',
            '<ereg regexp="Digest .*response=" search_in="hdr" header="Proxy-Authorization:" check_it="true"'
            ' assign_to="proxy_auth"/>',
        )
        text = text.replace(
            '<nop hide="true" test="authvalid" next="good"/>', '<nop hide="true" next="good"/>'
        )
        text = text.replace(
            "Content-Type: application/sdp", "X-Proxy-Auth: [$proxy_auth]\nContent-Type: application/sdp"
        )
    path = sipp.workdir / f"digest_{status}.xml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("status", [401, 407])
async def test_digest_challenge_is_acked_and_answered_with_credentials(
    sipp: Sipp, backend: SipBackend, status: int
) -> None:
    await sipp.start(digest_scenario(sipp, status))
    trunk = sipp.trunk(username="trunkuser", password="s3cret")

    result = await backend.originate(dial(sipp, trunk=trunk))

    assert result.outcome is CallOutcome.ANSWERED, result
    assert result.session is not None
    assert result.session.stream.payload_type == 8  # the far end answered PCMA
    await result.session.play(tone(0.2))
    await result.session.hangup()
    sipp_result = await sipp.wait()
    assert_sipp_ok(sipp_result)
    if status == 407:
        assert proxy_digest_is_valid((sipp.workdir / "messages.log").read_text(), "trunkuser", "s3cret")


def proxy_digest_is_valid(log: str, username: str, password: str) -> bool:
    """Check the Proxy-Authorization SIPp received (RFC 7616 MD5, qop=auth)."""
    header = next(line for line in log.splitlines() if line.startswith("Proxy-Authorization:"))
    params = dict(re.findall(r'(\w+)="?([^",]*)"?', header.split("Digest", 1)[1]))
    ha1 = hashlib.md5(f"{username}:{params['realm']}:{password}".encode()).hexdigest()
    ha2 = hashlib.md5(f"INVITE:{params['uri']}".encode()).hexdigest()
    expected = hashlib.md5(
        f"{ha1}:{params['nonce']}:{params['nc']}:{params['cnonce']}:{params['qop']}:{ha2}".encode()
    ).hexdigest()
    return params["username"] == username and params["response"] == expected


async def test_wrong_credentials_end_as_failed_with_the_trunks_403(sipp: Sipp, backend: SipBackend) -> None:
    await sipp.start("digest_answer_bye.xml")
    trunk = sipp.trunk(username="trunkuser", password="wrong")

    result = await backend.originate(dial(sipp, trunk=trunk, ring_timeout=2.0))

    assert (result.outcome, result.sip_code, result.session) == (CallOutcome.FAILED, 403, None)
    sipp_result = await sipp.wait()
    assert sipp_result.failed_calls == 1, sipp_result.logs()


async def test_remote_hangup_mid_prompt_ends_the_call_and_we_answer_the_bye(
    sipp: Sipp, backend: SipBackend
) -> None:
    await sipp.start("answer_then_hangup.xml")

    result = await backend.originate(dial(sipp))
    assert result.session is not None
    with pytest.raises(CallEnded) as ended:
        await result.session.play(tone(10.0))

    assert ended.value.reason is EndReason.REMOTE_HANGUP
    assert result.session.ended and result.session.ended_at is not None
    with pytest.raises(CallEnded):
        await result.session.collect_digits(timeout=1.0)
    assert_sipp_ok(await sipp.wait())


@pytest.mark.parametrize("dtmf_pt", [101, 96])
async def test_rfc4733_key_press_on_the_negotiated_payload_type_is_collected(
    sipp: Sipp, backend: SipBackend, dtmf_pt: int
) -> None:
    write_dtmf_pcap(sipp.workdir / "dtmf.pcap", "1", dtmf_pt)
    await sipp.start("answer_send_digit.xml", "-key", "dtmf_pt", str(dtmf_pt))

    result = await backend.originate(dial(sipp))
    assert result.session is not None
    digits = await result.session.collect_digits(max_digits=1, timeout=5.0)
    await result.session.hangup()

    assert digits == "1"
    assert_sipp_ok(await sipp.wait())


async def test_key_press_interrupts_a_prompt_and_stays_buffered(sipp: Sipp, backend: SipBackend) -> None:
    write_dtmf_pcap(sipp.workdir / "dtmf.pcap", "5", 101)
    await sipp.start("answer_send_digit.xml", "-key", "dtmf_pt", "101")

    result = await backend.originate(dial(sipp))
    assert result.session is not None
    loop = asyncio.get_running_loop()
    started = loop.time()
    interrupted = await result.session.play(tone(5.0), barge_in=True)
    stopped_after = loop.time() - started
    digits = await result.session.collect_digits(max_digits=3, timeout=0.5)
    await result.session.hangup()

    assert interrupted is True and stopped_after < 2.0
    assert digits == "5"  # fewer than max_digits: returned when no further key comes
    assert_sipp_ok(await sipp.wait())


@pytest.mark.parametrize(
    ("terminator", "expected"), [("#", ""), (None, "#")], ids=["terminator", "plain-key"]
)
async def test_terminator_ends_input_and_is_not_returned(
    sipp: Sipp, backend: SipBackend, terminator: str | None, expected: str
) -> None:
    write_dtmf_pcap(sipp.workdir / "dtmf.pcap", "#", 101)
    await sipp.start("answer_send_digit.xml", "-key", "dtmf_pt", "101", "-rtp_echo")

    result = await backend.originate(dial(sipp))
    assert result.session is not None
    loop = asyncio.get_running_loop()
    started = loop.time()
    digits = await result.session.collect_digits(max_digits=2, timeout=3.0, terminator=terminator)
    waited = loop.time() - started
    await result.session.hangup()

    assert digits == expected
    assert waited < 2.0 if terminator else waited > 2.9  # the terminator ends the wait at once
    assert_sipp_ok(await sipp.wait())


async def test_sip_info_digit_is_collected_when_the_far_end_has_no_telephone_event(
    sipp: Sipp, backend: SipBackend
) -> None:
    await sipp.start("answer_info_digit.xml")

    result = await backend.originate(dial(sipp))
    assert result.session is not None
    digits = await result.session.collect_digits(max_digits=1, timeout=5.0)
    await result.session.hangup()

    assert digits == "5"
    assert_sipp_ok(await sipp.wait())


async def test_far_end_sending_no_rtp_ends_the_call_as_dead_media_and_we_send_bye(
    sipp: Sipp, backend: SipBackend
) -> None:
    await sipp.start("answer_wait_bye.xml")  # no -rtp_echo: SIPp stays silent

    result = await backend.originate(dial(sipp))
    assert result.session is not None
    with pytest.raises(CallEnded) as ended:
        await result.session.collect_digits(timeout=10.0)

    assert ended.value.reason is EndReason.DEAD_MEDIA  # after FAST_TIMERS.dead_media = 2 s
    assert result.session.end_reason is EndReason.DEAD_MEDIA
    assert_sipp_ok(await sipp.wait())


async def test_call_longer_than_max_duration_is_hung_up(sipp: Sipp, backend: SipBackend) -> None:
    await sipp.start("answer_wait_bye.xml", "-rtp_echo")

    result = await backend.originate(dial(sipp, max_duration=1.0))
    assert result.session is not None
    with pytest.raises(CallEnded) as ended:
        await result.session.play(tone(5.0))

    assert ended.value.reason is EndReason.MAX_DURATION
    assert_sipp_ok(await sipp.wait())


async def test_prompt_reaches_the_far_end_and_both_directions_are_recorded(
    sipp: Sipp, backend: SipBackend
) -> None:
    await sipp.start("answer_wait_bye.xml", "-rtp_echo")  # SIPp sends our RTP straight back

    result = await backend.originate(dial(sipp, record=True))
    assert result.session is not None
    await result.session.play(tone(1.0))
    await result.session.play(Audio(text="pause", duration=0.3))
    await result.session.hangup()
    assert_sipp_ok(await sipp.wait())

    assert result.session.recording_path is not None
    with wave.open(result.session.recording_path) as wav:
        assert (wav.getnchannels(), wav.getframerate(), wav.getsampwidth()) == (2, 8000, 2)
        frames = wav.readframes(wav.getnframes())
    samples = struct.unpack(f"<{len(frames) // 2}h", frames)
    sent, echoed = samples[0::2], samples[1::2]
    assert rms(sent) > 3000  # our 1 s tone at amplitude 8000
    assert rms(echoed) > 2000  # the same tone, back from SIPp: it reached the far end
    assert 1.2 < len(sent) / 8000 < 3.0
    intervals = backend.clock.intervals
    assert intervals is not None
    # paced at 20 ms, not bursty (tight bounds are the bench's job: CI machines are shared)
    assert 0.019 <= intervals.percentile(0.5) <= 0.0215
    assert intervals.percentile(0.99) < 0.1


def rms(samples: tuple[int, ...] | list[int]) -> float:
    return math.sqrt(sum(s * s for s in samples) / max(1, len(samples)))


async def test_early_media_is_received_before_answer_and_its_sdp_stands_for_the_200(
    sipp: Sipp, backend: SipBackend
) -> None:
    write_dtmf_pcap(sipp.workdir / "dtmf.pcap", "7", 101)
    await sipp.start("early_media_answer.xml", "-rtp_echo")

    result = await backend.originate(dial(sipp))

    assert result.outcome is CallOutcome.ANSWERED, result
    assert result.session is not None
    assert result.session.stream.packets_received >= 10  # the early RTP arrived before the 200
    assert await result.session.collect_digits(timeout=0.3) == ""  # digits count from answer only
    await result.session.hangup()
    assert_sipp_ok(await sipp.wait())


async def test_transfer_sends_refer_and_ends_the_call_transferred(sipp: Sipp, backend: SipBackend) -> None:
    await sipp.start("answer_refer.xml", "-rtp_echo")

    result = await backend.originate(dial(sipp))
    assert result.session is not None
    accepted = await result.session.transfer("+84911111111")

    assert accepted is True
    assert result.session.end_reason is EndReason.TRANSFERRED
    assert_sipp_ok(await sipp.wait())


async def test_register_answers_challenges_refreshes_and_unregisters_on_close(
    sipp: Sipp, tmp_path: Path
) -> None:
    await sipp.start("register.xml")
    trunk = sipp.trunk(username="trunkuser", password="s3cret", register=True)
    backend = SipBackend(rtp_port_range=None, timers=FAST_TIMERS, default_trunk=trunk)

    await backend.start()
    registration = backend.registration(trunk)
    assert registration is not None and registration.registered and registration.granted == 2
    await asyncio.sleep(1.6)  # refreshed ahead of the 2 s expiry
    assert registration.refreshes == 1 and registration.registered
    await backend.close()

    assert_sipp_ok(await sipp.wait())
