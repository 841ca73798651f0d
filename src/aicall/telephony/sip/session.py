"""An answered SIP call as the interpreter sees it: the `CallSession` of the sip backend."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import AsyncIterator, Callable
from datetime import datetime

from aiosipua import Dialog, SipRequest, SipResponse

from aicall.calls.outcomes import EndReason
from aicall.media import Audio
from aicall.speech.listening import FRAME_BYTES, ListenSettings, Phase, UtteranceDetector
from aicall.telephony.session import CALLEE_FRAME_BYTES, CallEnded, Heard
from aicall.telephony.sip.media import PTIME, PromptCache, RtpStream
from aicall.telephony.sip.messages import Endpoint, build_in_dialog
from aicall.telephony.sip.recording import Recorder
from aicall.telephony.sip.transactions import Sender, TransactionTable

logger = logging.getLogger(__name__)

# `callee_audio` wakes its reader once per this many frames (100 ms), not every 20 ms tick: at
# 400 calls a wake-up per tick per call costs more than the detection itself.
_CALLEE_BATCH_FRAMES = 5
# A reader that falls this far behind (10 s) loses the oldest audio: memory stays bounded.
_CALLEE_MAX_BYTES = 500 * CALLEE_FRAME_BYTES


class SipCallSession:
    """One answered call: prompts out as RTP, digits in (RFC 4733 or SIP INFO), BYE either way.

    Digits are buffered from the moment of answer. Every way a call can end goes through
    `_end`, which stops the media, closes the recording, sends our BYE when the far end did
    not send one, and wakes whatever `play`/`collect_digits` is waiting so it raises
    `CallEnded`.
    """

    def __init__(
        self,
        *,
        call_id: str,
        dialog: Dialog,
        peer: tuple[str, int],
        me: Endpoint,
        contact_user: str,
        transactions: TransactionTable,
        stream: RtpStream,
        prompts: PromptCache,
        recorder: Recorder | None,
        wall_clock: Callable[[], datetime],
        refer_domain: str,
        on_ended: Callable[[SipCallSession], None],
        transport: Sender | None = None,
    ) -> None:
        self.call_id = call_id
        self.dialog = dialog
        self._peer = peer
        self._me = me
        self._contact_user = contact_user
        self._transactions = transactions
        self._transport = transport  # None: the table's default (UDP)
        self._stream = stream
        self._prompts = prompts
        self._recorder = recorder
        self._wall_clock = wall_clock
        self._refer_domain = refer_domain
        self._on_ended = on_ended
        self._digits: deque[str] = deque()
        self._changed = asyncio.Event()  # any of: digit, prompt finished, call ended
        self._end_reason: EndReason | None = None
        self._ended_at: datetime | None = None
        self._max_duration_timer: asyncio.TimerHandle | None = None
        self.bye: asyncio.Future[SipResponse | None] | None = None  # our BYE's transaction, when we sent one
        self._callee_readers: set[asyncio.Event] = set()  # woken at the end of the call

    # -- wiring (backend side) ----------------------------------------------------------

    def begin(self, *, max_duration: float, dead_media: float) -> None:
        """Start media and the two watchdogs (longest call, silent far end)."""
        self._stream.recorder = self._recorder
        self._stream.start()
        self._stream.watch_dead_media(dead_media, lambda: self._end(EndReason.DEAD_MEDIA, send_bye=True))
        self._stream.on_failure(lambda: self._end(EndReason.ERROR, send_bye=True))
        self._max_duration_timer = asyncio.get_running_loop().call_later(
            max_duration, self._end, EndReason.MAX_DURATION, True
        )

    def digit_received(self, digit: str) -> None:
        if self._end_reason is None:
            self._digits.append(digit)
            self._changed.set()

    def prompt_finished(self) -> None:
        self._changed.set()

    def remote_hangup(self) -> None:
        self._end(EndReason.REMOTE_HANGUP, send_bye=False)

    def expire(self, reason: EndReason) -> None:
        """The dialog is gone (session timer expired, refresh refused, 2xx never ACKed): our BYE."""
        self._end(reason, send_bye=True)

    # -- CallSession --------------------------------------------------------------------

    async def play(self, audio: Audio, *, barge_in: bool = True) -> bool:
        """Play `audio` (8 kHz PCM, or silence of its duration); True if a key interrupted it."""
        self._raise_if_ended()
        if barge_in and self._digits:
            return True
        if audio.pcm:
            self._stream.play(self._prompts.get(audio.pcm, self._stream.payload_type))
        else:
            self._stream.play(None, silence_frames=max(1, round(audio.duration / PTIME)))
        try:
            while True:
                self._changed.clear()
                self._raise_if_ended()
                if barge_in and self._digits:
                    return True
                if not self._stream.playing:
                    return False
                await self._changed.wait()
        finally:
            self._stream.stop_playing()

    async def collect_digits(
        self, *, max_digits: int = 1, timeout: float = 5.0, terminator: str | None = "#"
    ) -> str:
        """Digits pressed (buffered ones first) until `max_digits`, the terminator, or silence.

        `timeout` is the wait for each key, restarted after every key. The terminator ends
        the input and is not returned (pressed alone it gives '', as in the sim backend);
        pass `terminator=None` for a menu that offers '#' as a choice.
        """
        loop = asyncio.get_running_loop()
        collected = ""
        deadline = loop.time() + timeout
        while True:
            self._changed.clear()
            self._raise_if_ended()
            while self._digits:
                key = self._digits.popleft()
                if terminator is not None and key == terminator:
                    return collected
                collected += key
                if len(collected) >= max_digits:
                    return collected
                deadline = loop.time() + timeout
            remaining = deadline - loop.time()
            if remaining <= 0:
                return collected
            try:
                async with asyncio.timeout(remaining):
                    await self._changed.wait()
            except TimeoutError:
                pass

    async def listen(
        self,
        prompt: Audio | None = None,
        *,
        barge_in: bool = True,
        timeout: float = 5.0,
        max_speech: float = 8.0,
        keys: bool = False,
    ) -> Heard:
        """Play `prompt` while the received audio goes through voice-activity detection."""
        self._raise_if_ended()
        if keys and barge_in and self._digits:
            return Heard(key=True)
        settings = ListenSettings(max_speech=max_speech)
        detector = UtteranceDetector(settings)
        pending = bytearray()
        loop = asyncio.get_running_loop()
        last_audio = [loop.time()]

        def take(pcm: bytes) -> None:  # on the media clock, once per received packet
            last_audio[0] = loop.time()
            pending.extend(pcm)
            before = detector.phase
            while len(pending) >= FRAME_BYTES:
                detector.feed(bytes(pending[:FRAME_BYTES]))
                del pending[:FRAME_BYTES]
            if detector.phase is not before:
                self._changed.set()

        self._stream.audio_sink = take
        interrupted = False
        try:
            if prompt is not None:
                if prompt.pcm:
                    self._stream.play(self._prompts.get(prompt.pcm, self._stream.payload_type))
                else:
                    self._stream.play(None, silence_frames=max(1, round(prompt.duration / PTIME)))
                while True:
                    self._changed.clear()
                    self._raise_if_ended()
                    if barge_in and (detector.phase is not Phase.WAITING or (keys and self._digits)):
                        interrupted = True
                        break
                    if not self._stream.playing:
                        break
                    await self._changed.wait()
                self._stream.stop_playing()
            deadline = loop.time() + timeout
            while detector.phase is not Phase.DONE:
                self._changed.clear()
                self._raise_if_ended()
                if keys and self._digits and detector.phase is Phase.WAITING:
                    return Heard(interrupted=interrupted, key=True)
                if detector.phase is Phase.WAITING and loop.time() >= deadline:
                    return Heard(interrupted=interrupted)
                if detector.phase is Phase.WAITING:
                    wait = deadline - loop.time()
                else:
                    # A far end that stops sending (silence suppression) has stopped speaking.
                    quiet_until = last_audio[0] + settings.end_silence_ms / 1000
                    if loop.time() >= quiet_until:
                        break
                    wait = quiet_until - loop.time()
                try:
                    async with asyncio.timeout(max(0.0, wait)):
                        await self._changed.wait()
                except TimeoutError:
                    pass
            return Heard(utterance=detector.utterance(), interrupted=interrupted)
        finally:
            self._stream.audio_sink = None
            self._stream.stop_playing()

    async def callee_audio(self) -> AsyncIterator[bytes]:
        """The far end's audio from now on, 20 ms PCM frames in call time (`CallSession`).

        Taken from the RTP stream's playout buffer once per media tick (decoded PCMU/PCMA, any
        packetisation; silence while nothing arrives), handed over in batches of 100 ms. Ends
        when the call does; errors here end the iteration, never the call."""
        if self._end_reason is not None:
            return
        buffered = bytearray()
        ready = asyncio.Event()

        def tap(frame: bytes) -> None:  # on the media clock, once per tick
            buffered.extend(frame)
            if len(buffered) > _CALLEE_MAX_BYTES:
                del buffered[: len(buffered) - _CALLEE_MAX_BYTES]
            if len(buffered) >= _CALLEE_BATCH_FRAMES * CALLEE_FRAME_BYTES:
                ready.set()

        self._stream.add_tap(tap)
        self._callee_readers.add(ready)
        try:
            while True:
                if not buffered:
                    if self.ended:  # a property: the call may have ended while we waited
                        return
                    ready.clear()
                    await ready.wait()
                    continue
                frames = bytes(buffered[: len(buffered) - len(buffered) % CALLEE_FRAME_BYTES])
                del buffered[: len(frames)]
                for start in range(0, len(frames), CALLEE_FRAME_BYTES):
                    yield frames[start : start + CALLEE_FRAME_BYTES]
                if len(buffered) < CALLEE_FRAME_BYTES and self.ended:
                    return
        finally:
            self._stream.remove_tap(tap)
            self._callee_readers.discard(ready)

    async def transfer(self, target: str) -> bool:
        """Blind transfer by REFER (RFC 3515); on 2xx we hang up and the call ends TRANSFERRED."""
        if self._end_reason is not None:
            return False
        refer_to = (
            target if target.startswith(("sip:", "sips:", "tel:")) else f"sip:{target}@{self._refer_domain}"
        )
        refer = build_in_dialog(
            self.dialog,
            "REFER",
            me=self._me,
            contact_user=self._contact_user,
            headers={"Refer-To": f"<{refer_to}>", "Referred-By": f"<{self.dialog.local_uri}>"},
        )
        txn = self._transactions.send_request(refer, self._peer, transport=self._transport)
        response = await txn.done
        if response is None or not 200 <= response.status_code < 300:
            logger.info(
                "call %s: transfer to %s refused (%s)",
                self.call_id,
                target,
                response and response.status_code,
            )
            return False
        self._end(EndReason.TRANSFERRED, send_bye=True)
        return True

    async def hangup(self) -> None:
        self._end(EndReason.COMPLETED, send_bye=True)

    @property
    def ended(self) -> bool:
        return self._end_reason is not None

    @property
    def end_reason(self) -> EndReason | None:
        return self._end_reason

    @property
    def ended_at(self) -> datetime | None:
        return self._ended_at

    @property
    def recording_path(self) -> str | None:
        return str(self._recorder.path) if self._recorder is not None else None

    @property
    def recording_failed(self) -> bool:
        """The recorder failed during the call (the call went on; the file holds what came before)."""
        return self._stream.recording_failed

    @property
    def stream(self) -> RtpStream:
        return self._stream

    # -- ending -------------------------------------------------------------------------

    def _raise_if_ended(self) -> None:
        if self._end_reason is not None:
            raise CallEnded(self._end_reason)

    def _end(self, reason: EndReason, send_bye: bool) -> None:
        if self._end_reason is not None:
            return
        self._end_reason = reason
        self._ended_at = self._wall_clock()
        logger.info("call %s ended: %s", self.call_id, reason.value)
        if self._max_duration_timer is not None:
            self._max_duration_timer.cancel()
        self._stream.close()
        # the BYE first: nothing that fails below may leave the far end's leg up
        if send_bye:
            bye: SipRequest = build_in_dialog(
                self.dialog, "BYE", me=self._me, contact_user=self._contact_user
            )
            self.bye = self._transactions.send_request(bye, self._peer, transport=self._transport).done
        self.dialog.terminate()
        if self._recorder is not None and not self._stream.recording_failed:
            try:
                self._recorder.close()
            except Exception:
                logger.exception("call %s: closing the recording failed", self.call_id)
        self._changed.set()
        for reader in self._callee_readers:
            reader.set()
        self._on_ended(self)
