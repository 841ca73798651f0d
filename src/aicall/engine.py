"""The engine: the dialer and the webhook dispatcher, as `aicall serve` (embedded) and
`aicall worker` run them."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Mapping
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from aicall import notify
from aicall.accounts import voice_credentials
from aicall.accounts.secrets_box import SecretBox
from aicall.bootstrap import Platform
from aicall.clock import utc_now
from aicall.config import Settings
from aicall.db.engine import Database
from aicall.dialer.backends import BackendRouter
from aicall.dialer.outbox import EventSink
from aicall.dialer.scheduler import Dialer
from aicall.dialer.shutdown import Shutdown
from aicall.housekeeping import Housekeeping
from aicall.interpreter.prompter import Prompter
from aicall.interpreter.script import Script
from aicall.observability.logging import get_logger
from aicall.scenarios import service as scenario_service
from aicall.scenarios import snapshot
from aicall.scenarios.models import Scenario
from aicall.speech.cache import AudioCache
from aicall.speech.prompter import Prompter as SpeechPrompter
from aicall.speech.selection import VendorCredentials
from aicall.webhooks import service as webhook_service
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
    the same choice (and fallback to espeak-ng) as the preview's, with the scenario's account's
    own vendor credentials (`accounts.voice_credentials`) over the platform's.
    `AICALL_TTS_ENGINE=none` plays silence of the prompt's length to real calls."""

    def __init__(
        self, settings: Settings, *, db: Database | None = None, box: SecretBox | None = None
    ) -> None:
        self._cache = AudioCache(Path(settings.data_dir) / "audio")
        self._voices = voice_credentials.voice_engines(settings)
        self._accounts = _AccountVoices(db, box) if db is not None and box is not None else None
        self._prompters: dict[tuple[str, int, bool, int], Prompter] = {}

    def __call__(self, script: Script, audio: bool) -> Prompter:
        return self._prompter(script, audio)

    def _prompter(self, script: Script, audio: bool) -> SpeechPrompter:
        credentials = self._accounts.credentials(script.scenario_id) if self._accounts else None
        spoken = self._voices.select(script.voice_code, credentials=credentials)
        key = (script.scenario_id, script.version, audio, id(spoken.engine))
        prompter = self._prompters.get(key)
        if prompter is None:
            if len(self._prompters) > 1000:
                self._prompters.clear()
            prompter = SpeechPrompter(
                script.fields,
                dialect=script.dialect,
                engine=spoken.engine if audio else None,
                voice=spoken.voice,
                speed=script.speed,
                cache=self._cache,
                standby=spoken.standby,
            )
            self._prompters[key] = prompter
        return prompter  # type: ignore[return-value]  # only SpeechPrompters are stored

    async def prefetch(self, script: Script, values: Mapping[str, str]) -> int:
        """Before dialling: synthesise what this contact's call will say, so a slow neural voice
        does not keep the callee in silence after the answer. Bounded by `PREFETCH_BUDGET`;
        never fails the call (the prompt is synthesised, or falls back, at the answer)."""
        try:
            prompter = self._prompter(script, True)
            templates = [action.content_text for action in script.actions.values() if action.content_text]
            return await asyncio.wait_for(prompter.prefetch(templates, values), PREFETCH_BUDGET)
        except Exception as exc:  # a prefetch is an optimisation: the call goes on without it
            log.warning("prefetch of scenario %s failed: %s", script.scenario_id, exc)
            return 0

    async def aclose(self) -> None:
        """Close the TTS engines (an HTTP engine's connection pool)."""
        await self._voices.aclose()


PREFETCH_BUDGET = 10.0  # seconds a dial may wait for its prompts (a vendor's own budget is 20 s)


class _AccountVoices:
    """Each scenario's account's vendor credentials, read at most once a minute per scenario
    (a prompter is asked for on every call: no query per call)."""

    TTL = 60.0

    def __init__(self, db: Database, box: SecretBox) -> None:
        self._db = db
        self._box = box
        self._cache: dict[str, tuple[float, dict[str, VendorCredentials]]] = {}

    def credentials(self, scenario_id: str) -> dict[str, VendorCredentials]:
        now = time.monotonic()
        cached = self._cache.get(scenario_id)
        if cached is not None and cached[0] > now:
            return cached[1]
        try:
            with self._db.reading() as session:
                application_id = session.scalar(
                    select(Scenario.application_id).where(Scenario.id == scenario_id)
                )
                found = (
                    voice_credentials.for_application(
                        session=session, box=self._box, application_id=application_id
                    )
                    if application_id
                    else {}
                )
        except Exception:  # the platform's credentials still speak
            log.exception("cannot read the voice credentials of scenario %s", scenario_id)
            found = {}
        self._cache[scenario_id] = (now + self.TTL, found)
        return found


# Seconds the webhook dispatcher keeps delivering after the dialer stopped, while events are due
# (the results of the last calls); what is left stays in the outbox for the next process.
WEBHOOK_DRAIN = 5.0


class Engine:
    """The dialer and the webhook dispatcher of one process.

    `shutdown` carries the process's signals: its first request starts `stop()` at once (no
    new calls), its grace bounds how long calls in progress may go on. Without one, `stop()`
    alone (an ASGI lifespan's end) grants `settings.shutdown_grace`."""

    def __init__(
        self,
        *,
        settings: Settings,
        db: Database,
        box: SecretBox,
        dialer: bool = True,
        webhooks: bool = True,
        shutdown: Shutdown | None = None,
    ) -> None:
        self.settings = settings
        self.shutdown = shutdown or Shutdown(settings.shutdown_grace)
        self.db = db
        self.box = box
        self.dialer: Dialer | None = None
        self.dispatcher = (
            Dispatcher(db, box, allow_private=settings.webhook_allow_private, listen=settings.pg_notify)
            if webhooks
            else None
        )
        self._dispatch_task: asyncio.Task[None] | None = None
        self._sweep_task: asyncio.Task[None] | None = None
        self._prompters: PrompterFactory | None = None
        if dialer:
            self._prompters = PrompterFactory(settings, db=db, box=box)
            self.dialer = Dialer(
                db=db,
                box=box,
                settings=settings,
                router=BackendRouter(settings),
                load_script=load_approved_script,
                load_call_config=scenario_service.stored_call_config,
                prompter_for=self._prompters,
                # One INSERT per batch of results, and no payloads built for applications
                # without a webhook URL (issue 13's engine throughput).
                emit=EventSink(notify.emit_checked, notify.listening),
                heartbeat_every=settings.dialer_heartbeat,
                stale_after=settings.dialer_stale_after,
            )
        self._stop = asyncio.Event()
        self._stopping: asyncio.Task[None] | None = None
        self._watch_task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.shutdown.attach(asyncio.get_running_loop())
        if self.dialer:
            await self.dialer.start()
        if self.dispatcher:
            self._dispatch_task = asyncio.create_task(self.dispatcher.run(self._stop), name="webhooks")
        self._sweep_task = asyncio.create_task(
            Housekeeping(settings=self.settings, db=self.db).run(self._stop), name="housekeeping"
        )
        self._watch_task = asyncio.create_task(self._stop_when_asked(), name="engine-shutdown")
        log.info("engine started")

    async def _stop_when_asked(self) -> None:
        # The first signal stops claiming now, not when the HTTP server has drained its
        # connections and ends the lifespan (uvicorn does that after them).
        await self.shutdown.requested.wait()
        await self.stop()

    async def stop(self) -> None:
        """Stop gracefully (see `Shutdown`); a second call waits for the first to finish."""
        if self._stopping is None:
            self._stopping = asyncio.create_task(self._stop_all(), name="engine-stop")
        # Shielded: a caller cancelled (uvicorn's lifespan) must not cut the stop half-way.
        await asyncio.shield(self._stopping)
        if self._watch_task is not None and self._watch_task is not asyncio.current_task():
            self._watch_task.cancel()

    async def _stop_all(self) -> None:
        if self.dialer:
            await self.dialer.stop(grace=self.shutdown.grace, cut_short=self.shutdown.cut_short)
        if self._prompters:
            await self._prompters.aclose()
        if self.dispatcher and not self.shutdown.cut_short.is_set():
            await self._deliver_due(WEBHOOK_DRAIN)
        # After the dialer: the events of its last results still go out (or stay queued).
        self._stop.set()
        if self._dispatch_task:
            await self._dispatch_task
        if self._sweep_task:
            await self._sweep_task
        if self.dispatcher:
            await self.dispatcher.aclose()
        log.info("engine stopped")

    async def _deliver_due(self, timeout: float) -> None:
        """Let the dispatcher deliver the events due now (those of the last results), for up to
        `timeout` seconds. An event whose delivery failed is due later: it does not hold us."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline and not self.shutdown.cut_short.is_set():
            try:
                due = await asyncio.to_thread(self._due_events)
            except Exception:
                log.exception("cannot count the webhook events due; not waiting for them")
                return
            if not due:
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.shutdown.cut_short.wait(), timeout=0.2)

    def _due_events(self) -> int:
        with self.db.reading() as session:
            return webhook_service.due_now(session=session, now=utc_now())


async def run_worker(platform: Platform) -> None:
    """`aicall worker`: the engine alone, until SIGINT or SIGTERM (a second one cuts the
    shutdown's grace short). Its metrics (AICALL_METRICS_PORT) are served by the caller,
    bound before this starts the engine (`cli.worker`)."""
    shutdown = Shutdown(platform.settings.shutdown_grace)
    engine = Engine(settings=platform.settings, db=platform.db, box=platform.box, shutdown=shutdown)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, shutdown.signal)
    await engine.start()
    worker_id = engine.dialer.worker_id if engine.dialer else None
    slog.info("worker started", worker_id=worker_id)
    await shutdown.requested.wait()
    await engine.stop()
    slog.info("worker stopped", worker_id=worker_id)
