"""Which telephony backend places a call: a pool with a SIP trunk dials over SIP; a pool
without one dials the simulator."""

from __future__ import annotations

import shutil
from pathlib import Path

from aicall.config import Settings
from aicall.speech.espeak import EspeakEngine
from aicall.telephony.session import TelephonyBackend, TrunkConfig
from aicall.telephony.sim import SimBackend, SimRules
from aicall.telephony.sim.session import Speaker


class SipPortTaken(Exception):
    """AICALL_SIP_PORT is fixed and cannot be bound (another process holds it); the message is
    one line for people (the CLI exits 2)."""


class BackendRouter:
    def __init__(
        self,
        settings: Settings,
        *,
        sim: TelephonyBackend | None = None,
        sip: TelephonyBackend | None = None,
    ) -> None:
        self._settings = settings
        recordings = Path(settings.data_dir) / "recordings"
        rules = SimRules.load(settings.sim_rules) if settings.sim_rules else None
        self.sim = sim or SimBackend(
            time_scale=settings.sim_time_scale, rules=rules, recording_dir=recordings, speaker=_speaker()
        )
        self._sip = sip
        self._started: list[TelephonyBackend] = []

    async def start(self) -> None:
        """Start the simulator, and SIP now when AICALL_SIP_PORT is fixed: a port already taken
        then stops the dialer before it claims anyone (it used to fail each claimed call).

        Raises SipPortTaken (one line naming AICALL_SIP_PORT)."""
        await self.sim.start()
        self._started.append(self.sim)
        settings = self._settings
        if settings.sip_port:
            try:
                await self._started_sip()
            except OSError as exc:
                raise SipPortTaken(
                    f"AICALL_SIP_PORT={settings.sip_port}: cannot listen on "
                    f"{settings.sip_host}:{settings.sip_port}: {exc.strerror or exc}"
                ) from None

    async def close(self) -> None:
        for backend in reversed(self._started):
            await backend.close()
        self._started.clear()

    def accepts(self, trunk: TrunkConfig | None) -> bool:
        """Whether a pool with this trunk (or none) may dial here (`AICALL_TELEPHONY`)."""
        return trunk is not None or self._settings.telephony == "sim"

    async def for_trunk(self, trunk: TrunkConfig | None) -> TelephonyBackend:
        if trunk is None:
            if not self.accepts(None):
                raise RuntimeError("AICALL_TELEPHONY=sip: a pool without a SIP trunk cannot dial")
            return self.sim
        return await self._started_sip()

    async def _started_sip(self) -> TelephonyBackend:
        if self._sip is None:
            # Imported on first use: a platform that never dials a trunk opens no SIP socket
            # (unless AICALL_SIP_PORT names one: `start`).
            from aicall.telephony.sip import SipBackend

            settings = self._settings
            self._sip = SipBackend(
                settings.sip_host,
                settings.sip_port,
                rtp_port_range=(settings.rtp_port_min, settings.rtp_port_max),
                recordings_dir=Path(settings.data_dir) / "recordings",
                advertised_host=settings.sip_advertised_host or None,
                symmetric_rtp=settings.sip_symmetric_rtp,
            )
        if self._sip not in self._started:
            await self._sip.start()
            self._started.append(self._sip)
        return self._sip

    @property
    def needs_audio(self) -> bool:
        return self._sip is not None


def _speaker() -> Speaker | None:
    """What the simulated phones' `say` words sound like: espeak-ng, when installed."""
    if shutil.which("espeak-ng") is None:
        return None
    engine = EspeakEngine()

    async def speak(words: str) -> bytes:
        return await engine.synthesize(words, voice="vi")

    return speak
