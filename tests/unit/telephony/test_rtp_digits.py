"""RFC 4733 key presses as an RTP stream receives them: one digit per press, repeats and updates
of a press ignored, and a press held past the 16-bit duration field (about 8.2 s), which the
sender continues in a new segment (§2.5.1.3), still one digit."""

from __future__ import annotations

import select
import socket

from aiortp import DtmfEvent, RtpPacket

from aicall.telephony.sip.media import MediaClock, RtpStream

DTMF_PT = 101
MAX_DURATION = 0xFFFF  # the duration field's largest value (RFC 4733 §2.3.5)


def _event(ts: int, event: int, duration: int, *, end: bool = False, marker: int = 0, seq: int = 0) -> bytes:
    payload = DtmfEvent(event=event, end=end, volume=10, duration=duration).serialize()
    packet = RtpPacket(
        payload_type=DTMF_PT, marker=marker, sequence_number=seq, timestamp=ts, ssrc=0x1234, payload=payload
    )
    return bytes(packet.serialize())


def _press(
    ts: int, event: int, durations: list[int], *, end_last: bool = True, marker: int = 1
) -> list[bytes]:
    """One segment as senders write it: updates of the duration, the end packet sent three times."""
    packets = [_event(ts, event, d, marker=marker if i == 0 else 0) for i, d in enumerate(durations)]
    if end_last:
        packets += [_event(ts, event, durations[-1], end=True)] * 3
    return packets


def _digits_heard(packets: list[bytes]) -> list[str]:
    heard: list[str] = []
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.setblocking(False)
    stream = RtpStream(
        receiver, MediaClock(measure=False), on_digit=heard.append, on_prompt_done=lambda: None
    )
    stream.configure(("127.0.0.1", 9), 0, {DTMF_PT})
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        for tick, packet in enumerate(packets):
            sender.sendto(packet, receiver.getsockname())
            _wait_readable(receiver)
            stream.receive(tick)
    stream.close()
    return heard


def _wait_readable(sock: socket.socket) -> None:
    select.select([sock], [], [], 1.0)


def test_each_press_is_one_digit_however_often_its_packets_repeat() -> None:
    packets = _press(1000, 1, [160, 320, 480]) + _press(9000, 2, [160, 800]) + _press(20000, 1, [160])
    assert _digits_heard(packets) == ["1", "2", "1"]


def test_a_press_held_past_the_duration_field_continued_in_a_new_segment_is_one_digit() -> None:
    start = 4_294_960_000  # near the top of the 32-bit timestamp: the continuation wraps around
    first = _press(start, 5, [160, 32_000, MAX_DURATION], end_last=False)
    second_ts = (start + MAX_DURATION) % 2**32
    second = _press(second_ts, 5, [160, 8_000], marker=0)
    after = _press((second_ts + 20_000) % 2**32, 5, [160])  # released, then pressed again
    assert _digits_heard(first + second + after) == ["5", "5"]


def test_a_new_segment_that_does_not_continue_the_last_is_a_new_press() -> None:
    held = _press(1000, 7, [160, MAX_DURATION], end_last=False)
    other_key = _press(1000 + MAX_DURATION, 8, [160], marker=0)
    assert _digits_heard(held + other_key) == ["7", "8"]
    # A segment ended (E bit) before reaching the maximum is not continued.
    ended = _press(50_000, 3, [160, 800])
    again = _press(50_000 + MAX_DURATION, 3, [160], marker=0)
    assert _digits_heard(ended + again) == ["3", "3"]
