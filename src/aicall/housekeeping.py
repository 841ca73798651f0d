"""Housekeeping: what the engine prunes so nothing grows without bound (docs/reliability.md).

Once an hour (`AICALL_HOUSEKEEPING_EVERY`) every engine process deletes:

* recordings past `AICALL_RECORDING_RETENTION_DAYS` (`calls.retention`);
* webhook delivery logs, and events no longer pending, past `AICALL_WEBHOOK_RETENTION_DAYS`
  (`webhooks.store.prune`);
* stored `Idempotency-Key` answers past `AICALL_IDEMPOTENCY_TTL_HOURS` (`idempotency.service`);
* the least recently used synthesised audio past `AICALL_AUDIO_CACHE_MB` (`speech.cache`);

and archives campaigns closed more than `AICALL_ARCHIVE_AFTER_DAYS` ago (`campaigns.lifecycle`).
Each setting at 0 turns its part off. Deletes go in batches of `batch` rows, one short
transaction each, so a first run on a large database never holds SQLite's write lock long.
Several processes may run it at once: every delete is idempotent.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from aicall.calls import retention
from aicall.campaigns import lifecycle
from aicall.clock import Clock, utc_now
from aicall.config import Settings
from aicall.db.engine import Database
from aicall.idempotency import service as idempotency_service
from aicall.observability.logging import get_logger
from aicall.speech.cache import AudioCache
from aicall.webhooks import store as webhook_store

__all__ = ["BATCH", "Housekeeping", "Swept"]

log = get_logger("aicall.housekeeping")
BATCH = 1000  # rows per delete transaction


@dataclass
class Swept:
    """What one pass removed."""

    recordings: int = 0
    webhook_rows: int = 0  # delivery-log rows and events
    idempotency_keys: int = 0
    audio_files: int = 0
    campaigns_archived: int = 0

    def __bool__(self) -> bool:
        return any(asdict(self).values())


class Housekeeping:
    def __init__(
        self, *, settings: Settings, db: Database, clock: Clock = utc_now, batch: int = BATCH
    ) -> None:
        self.settings = settings
        self.db = db
        self.clock = clock
        self.batch = batch

    async def run(self, stop: asyncio.Event) -> None:
        """A pass now, then every `settings.housekeeping_every` seconds, until `stop` is set."""
        while not stop.is_set():
            try:
                swept = await asyncio.to_thread(self.run_once)
                if swept:
                    log.info("housekeeping", **asdict(swept))
            except Exception:
                log.exception("housekeeping failed; trying again at the next pass")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.settings.housekeeping_every)

    def run_once(self) -> Swept:
        """One pass of every part (blocking: database and disk)."""
        settings, now = self.settings, self.clock()
        swept = Swept()
        swept.recordings = retention.sweep(
            Path(settings.data_dir) / "recordings",
            retention_days=settings.recording_retention_days,
            now=now.timestamp(),
        )
        if settings.webhook_retention_days > 0:
            before = now - timedelta(days=settings.webhook_retention_days)
            swept.webhook_rows = self._batches(
                lambda s: webhook_store.prune(s, before=before, limit=self.batch)
            )
        if settings.idempotency_ttl_hours > 0:
            before = now - timedelta(hours=settings.idempotency_ttl_hours)
            swept.idempotency_keys = self._batches(
                lambda s: idempotency_service.prune(session=s, before=before, limit=self.batch)
            )
        if settings.audio_cache_mb > 0:
            cache = AudioCache(Path(settings.data_dir) / "audio", memory_bytes=0)
            swept.audio_files = cache.trim(int(settings.audio_cache_mb * 1024 * 1024))
        if settings.archive_after_days > 0:
            swept.campaigns_archived = self._archive(now, now - timedelta(days=settings.archive_after_days))
        return swept

    def _batches(self, prune: Callable[[Session], int]) -> int:
        total = 0
        while True:
            with self.db.transaction() as session:
                deleted = prune(session)
            total += deleted
            if deleted < self.batch:
                return total

    def _archive(self, now: datetime, before: datetime) -> int:
        total = 0
        while True:
            with self.db.transaction() as session:
                archived = lifecycle.archive_finished(session, before=before, now=now, limit=10)
            total += archived
            if archived < 10:
                return total
