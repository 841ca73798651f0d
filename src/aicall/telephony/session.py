"""The seam between the engine and a phone network: `TelephonyBackend` and `CallSession`.

The dialer asks a backend to `originate` a call; a call that is answered comes back as a
`CallSession` that the scenario interpreter drives. Nothing above this module knows whether
the phone at the other end is simulated (`telephony/sim`) or real (`telephony/sip`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable

from aicall.calls.outcomes import CallOutcome, EndReason
from aicall.media import Audio, Utterance

CALLEE_FRAME_BYTES = 320  # 20 ms of 8 kHz s16le mono: one frame of `CallSession.callee_audio`


class CallEnded(Exception):
    """Raised by a session's `play`/`collect_digits` once the call is over (hang-up, time limit...)."""

    def __init__(self, reason: EndReason) -> None:
        super().__init__(reason.value)
        self.reason = reason


# The transports the SIP backend dials a trunk over; TLS is the job of an edge proxy
# (docs/sip.md). Trunks are checked against it when stored, so none is saved that cannot dial.
TRUNK_TRANSPORTS = ("udp", "tcp")


@dataclass(frozen=True, slots=True)
class TrunkConfig:
    """Where a real call leaves: a SIP trunk or PBX."""

    id: str
    host: str
    port: int = 5060
    transport: str = "udp"
    username: str | None = None
    password: str | None = None
    register: bool = False
    from_domain: str | None = None


@dataclass(frozen=True, slots=True)
class DialRequest:
    call_id: str  # our attempt id, unique per dial
    to_number: str  # E.164, e.g. +84987654321
    from_number: str  # the hotline (caller id)
    ring_timeout: float = 30.0  # seconds before we give up ringing (CANCEL)
    max_duration: float = 300.0  # seconds from answer before we hang up
    record: bool = False
    trunk: TrunkConfig | None = None  # None: the backend's default route
    # what a trunk that trusts us may ask for (RFC 3325, RFC 3323); None: not sent
    asserted_identity: str | None = None  # P-Asserted-Identity, a SIP or tel URI
    privacy: str | None = None  # Privacy header value, e.g. "id" or "none"


@dataclass(slots=True)
class DialResult:
    """What `originate` returns: an outcome and, when answered, the live session."""

    outcome: CallOutcome
    sip_code: int | None = None  # SIP final response (or the sim's equivalent), kept on the attempt
    reason: str = ""  # SIP reason phrase or a human explanation
    session: CallSession | None = None  # set if and only if outcome is ANSWERED
    started_at: datetime | None = None  # when dialling began (UTC)
    answered_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Heard:
    """What `CallSession.listen` heard."""

    utterance: Utterance | None = None  # None: no speech began within the timeout
    interrupted: bool = False  # the callee's speech (or key) cut the prompt short
    key: bool = False  # a key was pressed instead: it waits in the buffer for `collect_digits`


@runtime_checkable
class CallSession(Protocol):
    """One answered call.

    Digits pressed by the callee are buffered from the moment of answer; `play` with
    `barge_in` stops at the first buffered digit and leaves it in the buffer for
    `collect_digits`. Both raise `CallEnded` once the call is over for any reason
    (remote hang-up, maximum duration, dead media).
    """

    call_id: str

    async def play(self, audio: Audio, *, barge_in: bool = True) -> bool:
        """Play a prompt; return True if a key press interrupted it."""
        ...

    async def collect_digits(
        self, *, max_digits: int = 1, timeout: float = 5.0, terminator: str | None = "#"
    ) -> str:
        """Return buffered/pressed digits ('' when none arrive within `timeout` seconds)."""
        ...

    async def listen(
        self,
        prompt: Audio | None = None,
        *,
        barge_in: bool = True,
        timeout: float = 5.0,
        max_speech: float = 8.0,
        keys: bool = False,
    ) -> Heard:
        """Play `prompt` (if any) while listening to the callee, then wait up to `timeout`
        seconds for speech to begin; return the utterance once it ends (voice-activity
        detection) or at `max_speech` seconds. Speech during the prompt stops it when
        `barge_in`. With `keys`, a key press (during the prompt with `barge_in`, or while
        waiting) ends the listening instead and stays buffered."""
        ...

    def callee_audio(self) -> AsyncIterator[bytes]:
        """What the callee sends, from now until the call ends: 20 ms frames (`CALLEE_FRAME_BYTES`,
        320 bytes) of 8 kHz signed 16-bit little-endian mono PCM, in call time (silence where
        nothing arrived), whatever the far end's packetisation. For answering-machine detection.

        Several readers may iterate at once, beside `listen`; each gets the frames from when it
        started. Frames may come in small batches (a reader sees them late, never out of order or
        doubled). A reader that stops iterating costs nothing more; nothing a reader does, and no
        error in the audio path, stops the call. The iteration just ends when the call does."""
        ...

    async def transfer(self, target: str) -> bool:
        """Hand the call to a person (SIP URI or number); True if the transfer was accepted."""
        ...

    async def hangup(self) -> None:
        """End the call from our side (idempotent)."""
        ...

    @property
    def ended(self) -> bool: ...

    @property
    def end_reason(self) -> EndReason | None: ...

    @property
    def ended_at(self) -> datetime | None: ...

    @property
    def recording_path(self) -> str | None:
        """Path of the WAV recording of both directions, when the call was recorded."""
        ...


class TelephonyBackend(Protocol):
    """Places calls. `start`/`close` bracket its life (sockets, registrations, timers)."""

    name: str

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def originate(self, request: DialRequest) -> DialResult: ...


@dataclass(slots=True)
class CallTimes:
    """Convenience for backends: wall-clock marks of one call (UTC)."""

    started_at: datetime | None = None
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    extra: dict[str, str] = field(default_factory=dict)
