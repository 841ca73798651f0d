"""The engine: the dialer and the webhook dispatcher, as `aicall serve` (embedded) and
`aicall worker` run them."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from pathlib import Path

from sqlalchemy.orm import Session

from aicall import notify
from aicall.accounts.secrets_box import SecretBox
from aicall.bootstrap import Platform
from aicall.calls import retention
from aicall.config import Settings
from aicall.db.engine import Database
from aicall.dialer.backends import BackendRouter
from aicall.dialer.scheduler import Dialer
from aicall.interpreter.prompter import Prompter
from aicall.interpreter.script import Script
from aicall.observability import metrics
from aicall.observability.logging import get_logger
from aicall.scenarios import service as scenario_service
from aicall.scenarios import snapshot
from aicall.speech.cache import AudioCache
from aicall.speech.prompter import Prompter as SpeechPrompter
from aicall.speech.selection import VoiceEngines
from aicall.webhooks.dispatcher import Dispatcher

log = logging.getLogger("aicall.engine")
slog = get_logger("aicall.engine")


def load_approved_script(session: Session, scenario_id: str) -> Script:
    """Only approved (ACTIVE) scenarios are dialled."""
    return snapshot.load_script(session, scenario_id, allow_unapproved=False)


class PrompterFactory:
    """One speech prompter per scenario version (and per need of audio): fixed prompt parts
    are synthesised once per scenario, not once per call.

    A scenario's voice code picks the engine and voice through `speech.selection.VoiceEngines`,
    the same choice (and fallback to espeak-ng) as the preview's.
    `AICALL_TTS_ENGINE=none` plays silence of the prompt's length to real calls."""

    def __init__(self, settings: Settings) -> None:
        self._cache = AudioCache(Path(settings.data_dir) / "audio")
        self._voices = VoiceEngines(
            engine=settings.tts_engine, base_url=settings.tts_base_url, api_key=settings.tts_api_key
        )
        self._prompters: dict[tuple[str, int, bool], Prompter] = {}

    def __call__(self, script: Script, audio: bool) -> Prompter:
        key = (script.scenario_id, script.version, audio)
        prompter = self._prompters.get(key)
        if prompter is None:
            if len(self._prompters) > 1000:
                self._prompters.clear()
            spoken = self._voices.select(script.voice_code)
            prompter = SpeechPrompter(
                script.fields,
                dialect=script.dialect,
                engine=spoken.engine if audio else None,
                voice=spoken.voice,
                speed=script.speed,
                cache=self._cache,
            )
            self._prompters[key] = prompter
        return prompter

    async def aclose(self) -> None:
        """Close the TTS engines (an HTTP engine's connection pool)."""
        await self._voices.aclose()


class Engine:
    def __init__(
        self, *, settings: Settings, db: Database, box: SecretBox, dialer: bool = True, webhooks: bool = True
    ) -> None:
        self.settings = settings
        self.db = db
        self.box = box
        self.dialer: Dialer | None = None
        self.dispatcher = (
            Dispatcher(db, box, allow_private=settings.webhook_allow_private) if webhooks else None
        )
        self._dispatch_task: asyncio.Task[None] | None = None
        self._sweep_task: asyncio.Task[None] | None = None
        self._prompters: PrompterFactory | None = None
        if dialer:
            self._prompters = PrompterFactory(settings)
            self.dialer = Dialer(
                db=db,
                box=box,
                settings=settings,
                router=BackendRouter(settings),
                load_script=load_approved_script,
                load_call_config=scenario_service.stored_call_config,
                prompter_for=self._prompters,
                emit=notify.emit,
                heartbeat_every=settings.dialer_heartbeat,
                stale_after=settings.dialer_stale_after,
            )
        self._stop = asyncio.Event()

    async def start(self) -> None:
        if self.dialer:
            await self.dialer.start()
        if self.dispatcher:
            self._dispatch_task = asyncio.create_task(self.dispatcher.run(self._stop), name="webhooks")
        self._sweep_task = asyncio.create_task(self._sweep_recordings(), name="recording-retention")
        log.info("engine started")

    async def _sweep_recordings(self, every: float = 3600.0) -> None:
        directory = Path(self.settings.data_dir) / "recordings"
        while not self._stop.is_set():
            deleted = await asyncio.to_thread(
                retention.sweep, directory, retention_days=self.settings.recording_retention_days
            )
            if deleted:
                log.info("deleted %d recordings past retention", deleted)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=every)

    async def stop(self) -> None:
        if self.dialer:
            await self.dialer.stop()
        if self._prompters:
            await self._prompters.aclose()
        # After the dialer: the events of its last results still go out (or stay queued).
        self._stop.set()
        if self._dispatch_task:
            await self._dispatch_task
        if self._sweep_task:
            await self._sweep_task
        if self.dispatcher:
            await self.dispatcher.aclose()
        log.info("engine stopped")


async def run_worker(platform: Platform) -> None:
    """`aicall worker`: the engine alone, until SIGINT or SIGTERM."""
    engine = Engine(settings=platform.settings, db=platform.db, box=platform.box)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await engine.start()
    if platform.settings.metrics_port:
        metrics.serve(platform.settings.metrics_port, host=platform.settings.host)
    worker_id = engine.dialer.worker_id if engine.dialer else None
    slog.info("worker started", worker_id=worker_id)
    await stop.wait()
    await engine.stop()
    slog.info("worker stopped", worker_id=worker_id)
