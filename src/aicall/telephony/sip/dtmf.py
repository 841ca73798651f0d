"""Key presses from RFC 4733 telephone events: one digit per press, however long it is held.

Every packet of one event carries the same RTP timestamp, the event's start (RFC 4733
§2.5.1.1), and is repeated for loss (§2.5.1.4): a new timestamp is a new press. Except for a
long press: the duration field counts 16 bits of 8 kHz samples, about 8.2 s, and an event held
longer is continued in a new segment (§2.5.1.3): the sender reports the maximum duration
0xFFFF without the E bit, then starts a segment whose timestamp is the old one plus 0xFFFF,
same event code, marker bit clear. That segment is the same press, not a second one.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiortp import DtmfEvent, RtpPacket

__all__ = ["MAX_DURATION", "DigitDetector"]

MAX_DURATION = 0xFFFF  # the largest duration field (RFC 4733 §2.3.5)
_HIGHEST_DTMF_EVENT = 15  # events 0-15 are the keypad (§3.2); others are tones, not keys


@dataclass(slots=True)
class _Segment:
    ssrc: int
    timestamp: int
    event: int
    duration: int
    ended: bool


class DigitDetector:
    """Feed it each telephone-event packet; it returns the digit once per key press."""

    def __init__(self) -> None:
        self._segment: _Segment | None = None

    def feed(self, packet: RtpPacket, event: DtmfEvent) -> str | None:
        if event.event > _HIGHEST_DTMF_EVENT:
            return None
        last = self._segment
        if last is not None and (packet.ssrc, packet.timestamp) == (last.ssrc, last.timestamp):
            last.duration = max(last.duration, event.duration)
            last.ended = last.ended or event.end
            return None  # a repeat or an update of the press already reported
        continued = (
            last is not None
            and packet.ssrc == last.ssrc
            and event.event == last.event
            and not packet.marker
            and not last.ended
            and last.duration == MAX_DURATION
            and (packet.timestamp - last.timestamp) % 2**32 == MAX_DURATION
        )
        self._segment = _Segment(packet.ssrc, packet.timestamp, event.event, event.duration, event.end)
        return None if continued else event.digit
