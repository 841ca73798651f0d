"""Our sip backend against SIP software nobody configured for it: baresip as the callee
(auto-answer, keys by RFC 4733, hold), kamailio as registrar and proxy with digest
authentication, over UDP and TCP. Issue 15: the acceptance path, faults 3, 4 and 5."""

from __future__ import annotations

import asyncio
import math
import re
import struct
import wave

import pytest

from aicall.calls.outcomes import CallOutcome, EndReason
from aicall.media import Audio
from aicall.telephony.session import CallEnded, DialResult, TrunkConfig
from aicall.telephony.sip import SipBackend

from .conftest import FAST_TIMERS, dial_request
from .peers import Baresip, Kamailio, free_port


def tone(seconds: float, frequency: float = 440.0) -> Audio:
    samples = int(8000 * seconds)
    pcm = struct.pack(
        f"<{samples}h", *(int(8000 * math.sin(2 * math.pi * frequency * n / 8000)) for n in range(samples))
    )
    return Audio.from_pcm("tone", pcm)


def rms(samples: tuple[int, ...]) -> float:
    return math.sqrt(sum(s * s for s in samples) / max(1, len(samples)))


def baresip_trunk(baresip: Baresip) -> TrunkConfig:
    return TrunkConfig(id="baresip", host="127.0.0.1", port=baresip.sip_port)


async def call_baresip(backend: SipBackend, baresip: Baresip, **overrides: object) -> DialResult:
    result = await backend.originate(dial_request(baresip_trunk(baresip), to_number="callee", **overrides))
    assert result.outcome is CallOutcome.ANSWERED, (result, baresip.log()[-3000:])
    assert result.session is not None
    await baresip.wait_event("CALL_ESTABLISHED")
    await baresip.wait_event("CALL_RTPESTAB")  # its audio is up: a key it sends now reaches us
    return result


def our_sdp_versions(log: str) -> list[tuple[int, str]]:
    """(o= version, direction) of every SDP of ours in baresip's SIP trace, in order."""
    lines = log.splitlines()
    found = []
    for index, line in enumerate(lines):
        match = re.match(r"o=aicall \d+ (\d+) ", line)
        if match is None:
            continue
        direction = ""
        for following in lines[index + 1 :]:
            if not re.match(r"[a-z]=", following):
                break  # the end of that SDP body
            if following[2:] in ("sendrecv", "sendonly", "recvonly", "inactive"):
                direction = following[2:]
        found.append((int(match.group(1)), direction))
    return found


# -- baresip: the acceptance path -------------------------------------------------------------


async def test_baresip_answers_hears_our_prompt_presses_a_key_and_gets_our_bye(
    baresip: Baresip, backend: SipBackend
) -> None:
    await baresip.start()

    result = await call_baresip(backend, baresip, record=True)
    session = result.session
    assert session is not None
    await session.play(tone(0.5))
    await baresip.command("sndcode", "5")
    digits = await session.collect_digits(max_digits=1, timeout=5.0)
    await session.hangup()
    await baresip.wait_event("CALL_CLOSED")
    log = await baresip.stop()

    assert digits == "5"
    assert "audio: send DTMF digit: '5'" in log
    assert "BYE sip:" in log  # baresip's trace of our BYE
    assert session.end_reason is EndReason.COMPLETED
    assert session.recording_path is not None
    with wave.open(session.recording_path) as wav:
        frames = wav.readframes(wav.getnframes())
    samples = struct.unpack(f"<{len(frames) // 2}h", frames)
    assert rms(samples[0::2]) > 1000  # our prompt
    assert rms(samples[1::2]) > 1000  # baresip's voice (a tone from its WAV file)


async def test_baresip_hanging_up_ends_our_call_as_a_remote_hangup(
    baresip: Baresip, backend: SipBackend
) -> None:
    await baresip.start()
    result = await call_baresip(backend, baresip)
    assert result.session is not None

    await baresip.command("hangup")
    with pytest.raises(CallEnded) as ended:
        await result.session.collect_digits(timeout=5.0)

    assert ended.value.reason is EndReason.REMOTE_HANGUP


async def test_baresip_holding_and_resuming_the_call_is_answered_recvonly_then_sendrecv(
    baresip: Baresip, backend: SipBackend
) -> None:
    await baresip.start()
    result = await call_baresip(backend, baresip)
    session = result.session
    assert session is not None
    stream = session.stream

    remote_sdp = baresip.count("CALL_REMOTE_SDP")
    await baresip.command("hold")
    await baresip.wait_event("CALL_REMOTE_SDP", count=remote_sdp + 1)  # our answer
    await asyncio.sleep(0.2)
    sent = stream.packets_sent
    await asyncio.sleep(0.5)
    sent_while_held = stream.packets_sent - sent
    await baresip.command("resume")
    await baresip.wait_event("CALL_REMOTE_SDP", count=remote_sdp + 2)
    await asyncio.sleep(0.2)
    sent = stream.packets_sent
    await asyncio.sleep(0.5)
    sent_after = stream.packets_sent - sent
    await baresip.command("sndcode", "9")  # keys still reach us after hold
    digits = await session.collect_digits(max_digits=1, timeout=5.0)
    await session.hangup()
    await baresip.wait_event("CALL_CLOSED")

    versions = our_sdp_versions(await baresip.stop())
    offered = versions[0][0]
    assert versions == [(offered, "sendrecv"), (offered + 1, "recvonly"), (offered + 2, "sendrecv")]
    assert sent_while_held == 0 and sent_after >= 15
    assert digits == "9"


# -- kamailio: registrar and proxy, UDP and TCP ---------------------------------------------------


def via_kamailio(kamailio: Kamailio, transport: str, **overrides: object) -> TrunkConfig:
    values: dict[str, object] = {
        "id": f"kamailio-{transport}",
        "host": "127.0.0.1",
        "port": kamailio.port,
        "transport": transport,
        "username": "aicall",
        "password": kamailio.password,
    }
    values.update(overrides)
    return TrunkConfig(**values)  # type: ignore[arg-type]


async def register_baresip(baresip: Baresip, kamailio: Kamailio) -> None:
    """baresip as a phone registered at kamailio (answering kamailio's 401 challenge)."""
    account = (
        f"<sip:callee@127.0.0.1:{kamailio.port};transport=udp>"
        f";auth_pass={kamailio.password};answermode=auto;regint=60;audio_codecs=pcmu,pcma"
    )
    await baresip.start(account=account)
    await kamailio.wait_log("REGISTER callee: expires")  # baresip registers before we can listen to it


@pytest.mark.parametrize("transport", ["udp", "tcp"])
async def test_calls_through_kamailio_with_digest_auth_reach_baresip(
    kamailio: Kamailio, baresip: Baresip, backend: SipBackend, transport: str
) -> None:
    await register_baresip(baresip, kamailio)
    trunk = via_kamailio(kamailio, transport)

    results = []
    for n in range(2):  # two calls: over TCP, one connection carries both (RFC 3261 §18)
        result = await backend.originate(
            dial_request(trunk, call_id=f"kam-{transport}-{n}", to_number="callee")
        )
        assert result.outcome is CallOutcome.ANSWERED, (result, kamailio.log()[-3000:])
        assert result.session is not None
        await baresip.wait_event("CALL_RTPESTAB", count=n + 1)
        await baresip.command("sndcode", str(n + 1))
        results.append(await result.session.collect_digits(max_digits=1, timeout=5.0))
        if n == 0:
            await result.session.hangup()  # our BYE through kamailio
        else:
            await baresip.command("hangup")  # theirs, through kamailio to our Contact
            with pytest.raises(CallEnded):
                await result.session.collect_digits(timeout=5.0)
            assert result.session.end_reason is EndReason.REMOTE_HANGUP
        await baresip.wait_event("CALL_CLOSED", count=n + 1)

    assert results == ["1", "2"]
    log = kamailio.log()
    if transport == "tcp":
        assert re.search(r"INVITE from 127\.0\.0\.1:\d+ over tcp", log), log[-3000:]
        assert backend.tcp_connects == 1


async def test_unregister_on_close_answers_the_registrars_challenge(
    kamailio: Kamailio, backend: SipBackend
) -> None:
    trunk = via_kamailio(kamailio, "udp", register=True)
    registered = SipBackend(rtp_port_range=None, timers=FAST_TIMERS, default_trunk=trunk)
    await registered.start()
    registration = registered.registration(trunk)
    assert registration is not None and registration.registered
    caller_trunk = via_kamailio(kamailio, "udp", id="caller")

    await registered.close()
    # the binding is gone: kamailio has no contact for "aicall" any more
    result = await backend.originate(dial_request(caller_trunk, to_number="aicall", ring_timeout=5.0))

    assert registration.last_status == 200
    assert (result.outcome, result.sip_code) == (CallOutcome.INVALID_NUMBER, 404), kamailio.log()[-3000:]


async def test_a_tcp_trunk_that_refuses_the_connection_fails_the_dial_at_once(backend: SipBackend) -> None:
    closed = TrunkConfig(id="closed", host="127.0.0.1", port=free_port(), transport="tcp")
    loop = asyncio.get_running_loop()
    started = loop.time()

    result = await backend.originate(dial_request(closed))

    # a transport error is a 503 (RFC 3261 §8.1.3.1), not a 32 s wait for Timer B
    assert (result.outcome, result.sip_code) == (CallOutcome.FAILED, 503)
    assert loop.time() - started < 1.0
