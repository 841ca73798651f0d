"""The engine: the dialer and the webhook dispatcher, as `aicall serve` (embedded) and
`aicall worker` run them."""

from __future__ import annotations

import asyncio
import logging
import signal
from pathlib import Path

from sqlalchemy.orm import Session

from aicall import notify
from aicall.accounts.secrets_box import SecretBox
from aicall.bootstrap import Platform
from aicall.config import Settings
from aicall.db.engine import Database
from aicall.dialer.backends import BackendRouter
from aicall.dialer.scheduler import Dialer, scenario_call_config
from aicall.interpreter.prompter import Prompter
from aicall.interpreter.script import Script
from aicall.scenarios import snapshot
from aicall.speech.cache import AudioCache
from aicall.speech.prompter import Prompter as SpeechPrompter
from aicall.speech.tts import build_engine
from aicall.webhooks.dispatcher import Dispatcher

log = logging.getLogger("aicall.engine")


def load_approved_script(session: Session, scenario_id: str) -> Script:
    """Only approved (ACTIVE) scenarios are dialled."""
    return snapshot.load_script(session, scenario_id, allow_unapproved=False)


class PrompterFactory:
    """One speech prompter per scenario version (and per need of audio): fixed prompt parts
    are synthesised once per scenario, not once per call."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._cache = AudioCache(Path(settings.data_dir) / "audio")
        self._engine = build_engine(settings.tts_engine, base_url=settings.tts_base_url, api_key=settings.tts_api_key)
        self._prompters: dict[tuple[str, int, bool], Prompter] = {}

    def __call__(self, script: Script, audio: bool) -> Prompter:
        key = (script.scenario_id, script.version, audio)
        prompter = self._prompters.get(key)
        if prompter is None:
            if len(self._prompters) > 1000:
                self._prompters.clear()
            prompter = SpeechPrompter(
                script.fields,
                dialect=script.dialect,
                engine=self._engine if audio else None,
                voice=script.voice_code,
                speed=script.speed,
                cache=self._cache,
            )
            self._prompters[key] = prompter
        return prompter


class Engine:
    def __init__(
        self, *, settings: Settings, db: Database, box: SecretBox, dialer: bool = True, webhooks: bool = True
    ) -> None:
        self.settings = settings
        self.db = db
        self.box = box
        self.dialer: Dialer | None = None
        self.dispatcher = Dispatcher(db, box, allow_private=settings.webhook_allow_private) if webhooks else None
        self._dispatch_task: asyncio.Task[None] | None = None
        if dialer:
            self.dialer = Dialer(
                db=db,
                box=box,
                settings=settings,
                router=BackendRouter(settings),
                load_script=load_approved_script,
                load_call_config=scenario_call_config,
                prompter_for=PrompterFactory(settings),
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
        log.info("engine started")

    async def stop(self) -> None:
        if self.dialer:
            await self.dialer.stop()
        # After the dialer: the events of its last results still go out (or stay queued).
        self._stop.set()
        if self._dispatch_task:
            await self._dispatch_task
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
    log.info("worker running (dialer %s)", engine.dialer.worker_id if engine.dialer else "off")
    await stop.wait()
    await engine.stop()
