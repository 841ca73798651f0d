"""The dialer: claims due contacts of running campaigns within every limit, runs a call task
for each, and writes results in batches (one transaction per batch, each result whole)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from aicall.accounts import ledger
from aicall.accounts.secrets_box import SecretBox
from aicall.accounts.speech_settings import AsrResolver
from aicall.calls.outcomes import CallOutcome
from aicall.clock import Clock, utc_now
from aicall.compliance.gate import ClaimGate, screen_claim
from aicall.config import Settings
from aicall.db import faults
from aicall.db.engine import Database
from aicall.dialer import claims, recovery, results, window
from aicall.dialer.backends import BackendRouter
from aicall.dialer.call_task import place_call
from aicall.dialer.jobs import CallJob, CallResult
from aicall.dialer.outbox import Emit, EventSink, emit_all, sink_of
from aicall.dialer.pacing import CallPacing, Pace
from aicall.dialer.shutdown import HangUp
from aicall.events import Event
from aicall.interpreter.prompter import Prompter
from aicall.interpreter.script import Script
from aicall.observability import metrics
from aicall.observability.logging import bind, get_logger

log = logging.getLogger("aicall.dialer")
slog = get_logger("aicall.dialer")

MAX_CLAIM_PER_PASS = 200  # keeps each claim transaction short
RESULT_BATCH = 200
# Every stored batch wakes the loop; under a calls-per-second limit each wake found only a
# token or two, so the dialer ran ~100 passes a second of a few queries each (one CPU core at
# 200 calls/s on SQLite). Wakes within this interval are merged into one pass.
MIN_PASS_INTERVAL = 0.05
# Seconds a call has to end once hung up for a shutdown (BYE sent, script unwound); past it the
# task is cancelled and the crash rule applies.
HANG_UP_WAIT = 5.0
# Seconds a stopping dialer keeps trying to store results the database refuses (disk full,
# server gone); past it they are left to the crash rule (dialer.recovery).
STORE_AT_STOP = 10.0


class Dialer:
    def __init__(
        self,
        *,
        db: Database,
        box: SecretBox,
        settings: Settings,
        router: BackendRouter,
        load_script: claims.ScriptLoader,
        load_call_config: claims.CallConfigLoader,
        prompter_for: Callable[[Script, bool], Prompter],
        emit: Emit | EventSink | None = None,
        clock: Clock = utc_now,
        worker_id: str | None = None,
        heartbeat_every: float = 2.0,
        stale_after: float = 10.0,
        gate: ClaimGate = screen_claim,
    ) -> None:
        self.db = db
        self.box = box
        self.settings = settings
        self.router = router
        self.load_script = load_script
        self.load_call_config = load_call_config
        self.prompter_for = prompter_for
        # Each call's recogniser: its account's settings over AICALL_ASR_*; a bad platform setting
        # fails here.
        self.asr = AsrResolver(db=db, box=box, settings=settings)
        # Where events go (None: nowhere, and a call's events are not even built).
        self.emit = sink_of(emit)
        self.clock = clock
        self.worker_id = worker_id or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.heartbeat_every = heartbeat_every
        self.stale_after = timedelta(seconds=stale_after)
        self.gate = gate  # the calling rules the claim asks (compliance.gate)
        self._pacing = CallPacing(db)  # calls per second, shared by every dialer (issue 13)
        self._calls: set[asyncio.Task[None]] = set()
        self._results: asyncio.Queue[CallResult] = asyncio.Queue()
        self._writer: asyncio.Task[None] | None = None
        self._loop_task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()  # no more claims
        self._hang_up_now = HangUp()  # a shutdown's grace is over: end live calls
        self._stopped = asyncio.Event()  # calls over, results stored
        self._wake = asyncio.Event()
        self._live_workers = 1
        # Credit blocks (accounts.ledger): the accounts whose credit this dialer holds, and its
        # calls in flight per account (claimed, result not yet stored). A pass that dials nothing
        # for an account with no call in flight gives its block back (ledger.fold).
        self._block_accounts: set[str] = set()
        self._held: Counter[str] = Counter()
        self._busy_accounts: frozenset[str] = frozenset()
        self._rng = random.Random()
        self._skip_locked = db.dialect == "postgresql"
        self._storing = 0
        self._pass_was_full = False  # the last pass claimed its whole budget (more may be due)
        self._beat_task: asyncio.Task[None] | None = None
        path = faults.sqlite_path(db.url)
        self._claims_down = faults.Outage("dialer claims", path=path, logger="aicall.dialer")
        self._results_down = faults.Outage("call results", path=path, logger="aicall.dialer")
        self._beat_down = faults.Outage("dialer heartbeat", path=path, logger="aicall.dialer")
        # When this dialer's heartbeats began to succeed (None: failing). It judges others'
        # calls only after beating for `stale_after` itself: after an outage every dialer beat
        # late, and the first back must not take the live calls of the others for a dead one's.
        self._healthy_since: datetime | None = None

    # --- life ------------------------------------------------------------------------------

    async def start(self) -> None:
        await self.router.start()
        await asyncio.to_thread(self._heartbeat_and_recover)
        await asyncio.to_thread(self._adopt_blocks)
        self._writer = asyncio.create_task(self._write_results(), name="dialer-results")
        self._loop_task = asyncio.create_task(self._run(), name="dialer")
        self._beat_task = asyncio.create_task(self._beat(), name="dialer-heartbeat")

    async def stop(self, *, grace: float = 5.0, cut_short: asyncio.Event | None = None) -> None:
        """Stop claiming; let calls in progress end by themselves for up to `grace` seconds (or
        until `cut_short` is set), then hang up those still live: they are recorded with the end
        reason `shutdown` and their connected time. Results are stored before the dialer leaves;
        the heartbeat goes on meanwhile, so no other dialer takes the calls for a crash's."""
        self._stop.set()
        self._wake.set()
        if self._loop_task:
            await self._loop_task
        if self._calls:
            slog.info("waiting for calls in progress", calls=len(self._calls), grace_seconds=grace)
            await self._wait_for_calls(grace, cut_short)
        if self._calls:
            slog.warning("hanging up calls still live (shutdown)", calls=len(self._calls))
            self._hang_up_now.set()
            _done, pending = await asyncio.wait(set(self._calls), timeout=HANG_UP_WAIT)
            for task in pending:
                task.cancel()  # would not end when hung up: the crash rule (recovery) settles it
            await asyncio.gather(*pending, return_exceptions=True)
        await self._flush_results()
        self._stopped.set()
        if self._beat_task:
            await self._beat_task
        if self._writer:
            self._writer.cancel()
            await asyncio.gather(self._writer, return_exceptions=True)
        await self.router.close()
        await self.asr.aclose()
        # Leaving the worker table tells other dialers at once that our unfinished attempts
        # (cancelled above) are orphans to reconcile.
        await asyncio.to_thread(self._leave)

    async def _wait_for_calls(self, grace: float, cut_short: asyncio.Event | None) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace
        cut = asyncio.ensure_future(cut_short.wait()) if cut_short is not None else None
        try:
            while self._calls and (cut is None or not cut.done()):
                left = deadline - loop.time()
                if left <= 0:
                    return
                waiters: set[asyncio.Future[Any]] = {*self._calls, *([cut] if cut else [])}
                await asyncio.wait(waiters, timeout=left, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if cut is not None:
                cut.cancel()

    def wake(self) -> None:
        self._wake.set()

    async def _beat(self) -> None:
        # Its own task: a slow pass must never make this dialer look dead to the others. It
        # beats until the last result is stored, through a shutdown's grace.
        while not self._stopped.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopped.wait(), timeout=self.heartbeat_every)
            if self._stopped.is_set():
                return
            try:
                await asyncio.to_thread(self._heartbeat_and_recover)
                self._beat_down.recovered()
            except Exception as exc:
                self._healthy_since = None
                if not self._beat_down.failed(exc):
                    log.exception("heartbeat failed; retrying")

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while not self._stop.is_set():
            began = loop.time()
            try:
                await self.run_once()
                self._claims_down.recovered()
            except Exception as exc:
                if not self._claims_down.failed(exc):  # a storage fault is said once, not each pass
                    log.exception("dialer pass failed; retrying")
            self._wake.clear()
            if not self._pass_was_full:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=self.settings.dialer_tick)
            # else: the pass claimed all it may claim at once and more may be due: claim again
            # while the calls just started run and earlier results are stored, not after (the
            # claim and the store then overlap; one after the other they halved a dialer's rate).
            rest = MIN_PASS_INTERVAL - (loop.time() - began)
            if rest > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), timeout=rest)

    # --- one pass ----------------------------------------------------------------------------

    async def run_once(self) -> int:
        """Claim what may be dialled now and start those calls; return how many started."""
        self._busy_accounts = frozenset(account for account, calls in self._held.items() if calls > 0)
        jobs = await asyncio.to_thread(self._claim)
        metrics.CALLS_STARTED.inc(len(jobs))
        for job in jobs:
            self._held[job.account_id] += 1
            task = asyncio.create_task(self._call(job), name=f"call-{job.attempt_id}")
            self._calls.add(task)
            task.add_done_callback(self._calls.discard)
            metrics.CALLS_IN_PROGRESS.inc()
            task.add_done_callback(lambda _task: metrics.CALLS_IN_PROGRESS.dec())
        return len(jobs)

    async def drain(self, timeout: float = 60.0) -> None:
        """Wait for calls in flight and their results (tests and benchmarks)."""
        if self._calls:
            await asyncio.wait(list(self._calls), timeout=timeout)
        await self._flush_results()

    @property
    def calls_in_flight(self) -> int:
        return len(self._calls)

    @metrics.CLAIM_SECONDS.time()
    def _claim(self) -> list[CallJob]:
        now = self.clock()
        jobs: list[CallJob] = []
        self._pass_was_full = False
        with self.db.transaction() as session:
            events: list[Event] = []
            views = claims.running_campaigns(
                session,
                load_script=self.load_script,
                load_call_config=self.load_call_config,
                now=now,
                events=events,
            )
            if not views:
                self._return_idle_credit(session, jobs)
                emit_all(session, events, self.emit)  # the pauses of campaigns left out
                return jobs
            by_campaign, by_line, by_trunk = claims.live_counts(session)
            budget = MAX_CLAIM_PER_PASS
            if self.settings.dialer_max_calls:  # this process's own cap (AICALL_DIALER_MAX_CALLS)
                budget = min(budget, self.settings.dialer_max_calls - len(self._calls))
            for view in views if budget > 0 else ():
                outcome = claims.ClaimOutcome()
                if claims.complete_if_over(session, view, now, outcome):
                    events.extend(outcome.events)
                    continue
                if not window.is_open(view.settings, now):
                    continue
                bucket = self._bucket(view.campaign.id, view.settings.calls_per_second, session)
                # The tokens for the batch, in one statement: fewer tokens, fewer contacts claimed.
                want = min(view.settings.max_concurrent - by_campaign[view.campaign.id], budget)
                limit = bucket.reserve(want)
                if limit <= 0:
                    continue
                outcome = claims.claim_for_campaign(
                    session,
                    view=view,
                    limit=limit,
                    box=self.box,
                    worker_id=self.worker_id,
                    now=now,
                    lines_busy=by_line,
                    trunks_busy=by_trunk,
                    skip_locked=self._skip_locked,
                    rng=self._rng,
                    allow_simulator=self.router.accepts(None),
                    gate=self.gate,
                )
                bucket.take(len(outcome.jobs))  # gives back the tokens of contacts not found
                budget -= len(outcome.jobs)
                for job in outcome.jobs:
                    by_line[job.hotline] += 1
                    if job.trunk:
                        by_trunk[job.trunk.id] += 1
                jobs.extend(outcome.jobs)
                events.extend(outcome.events)
                if budget <= 0:
                    break
            self._return_idle_credit(session, jobs)
            emit_all(session, events, self.emit)
        # Only a pass that started calls: at this process's call cap (AICALL_DIALER_MAX_CALLS)
        # the budget is 0 with nothing started, and only an ended call frees room (a wake).
        self._pass_was_full = budget <= 0 and bool(jobs)
        return jobs

    def _return_idle_credit(self, session: Session, jobs: list[CallJob]) -> None:
        """Fold the credit blocks of accounts this pass dialled nothing for and that have no call
        of this dialer in flight: the credit goes back to the account (a paused or finished
        campaign, nothing due), so a block is held only while it is being used."""
        dialled = {job.account_id for job in jobs}
        for account_id in sorted(self._block_accounts - dialled - self._busy_accounts):
            if ledger.fold(session=session, account_id=account_id, worker_id=self.worker_id):
                self._block_accounts.discard(account_id)
        # Kept in memory before the commit: a rolled-back pass leaves a block unknown here at worst
        # until the dialer stops, which folds every block it holds in the database (_leave).
        self._block_accounts |= dialled

    def _bucket(self, campaign_id: str, rate: float, session: Session) -> Pace:
        # One bucket per campaign in the database, whatever the number of dialers (dialer.pacing).
        return self._pacing.campaign(campaign_id, rate, session=session, now=self.clock())

    async def _call(self, job: CallJob) -> None:
        # Every line of this call's task carries its ids (the task's own context).
        bind(
            account_id=job.account_id,
            campaign_id=job.campaign_id,
            contact_id=job.contact_id,
            attempt_id=job.attempt_id,
        )
        try:
            backend = await self.router.for_trunk(job.trunk)
            recogniser = await self.asr.for_account(job.account_id)
            result = await place_call(
                job,
                backend=backend,
                prompter_for=self.prompter_for,
                clock=self.clock,
                interrupt=self._hang_up_now,
                asr=recogniser.engine,
                asr_timeout=recogniser.timeout,
            )
        except asyncio.CancelledError:
            raise  # a call that would not end when hung up: the recovery rule reconciles it
        except Exception as exc:
            log.exception("call task failed", extra={"attempt_id": job.attempt_id})
            now = self.clock()
            result = CallResult(
                job, CallOutcome.FAILED, started_at=now, ended_at=now, error=f"{type(exc).__name__}: {exc}"
            )
        slog.info(
            "call finished",
            phone=job.phone,
            hotline=job.hotline,
            outcome=result.outcome.value,
            sip_code=result.sip_code,
            seconds=round(result.duration, 1),
            error=result.error,
        )
        first_audio = result.extra.get("first_audio_seconds")
        metrics.call_finished(
            outcome=result.outcome.value, sip_code=result.sip_code, first_audio_seconds=first_audio
        )
        self._results.put_nowait(result)

    # --- results -----------------------------------------------------------------------------

    async def _write_results(self) -> None:
        while True:
            first = await self._results.get()
            batch = [first]
            while len(batch) < RESULT_BATCH and not self._results.empty():
                batch.append(self._results.get_nowait())
            await self._store(batch)

    async def _flush_results(self) -> None:
        batch: list[CallResult] = []
        while not self._results.empty():
            batch.append(self._results.get_nowait())
        if batch:
            await self._store(batch)
        # Wait for a batch the writer task may be storing right now.
        while self._storing:  # noqa: ASYNC110 - shutdown only; an Event per stored batch is not worth it
            await asyncio.sleep(0.01)

    async def _store(self, batch: list[CallResult]) -> None:
        """Store `batch` (one transaction). While the database cannot be written (disk full,
        read-only, server gone) the results wait here and are tried again, every few seconds,
        until it can: the calls are over, their attempts stay in progress meanwhile. Any other
        error is tried 5 times, then the batch is left to the crash rule."""
        self._storing += 1
        loop = asyncio.get_running_loop()
        began = loop.time()
        try:
            tries = 0
            while True:
                tries += 1
                try:
                    await asyncio.to_thread(self._store_sync, batch)
                    self._results_down.recovered()
                    break
                except Exception as exc:
                    if self._results_down.failed(exc):
                        if self._stop.is_set() and loop.time() - began > STORE_AT_STOP:
                            log.error(
                                "stopping: %d call results not stored; the crash rule settles them",
                                len(batch),
                            )
                            break
                    else:
                        log.exception("storing %d call results failed (try %d)", len(batch), tries)
                        if tries >= 5:
                            break
                    await asyncio.sleep(min(5.0, 0.2 * tries))
        finally:
            self._storing -= 1
            for result in batch:  # stored, or left to the crash rule: no longer this dialer's
                account_id = result.job.account_id
                self._held[account_id] -= 1
                if self._held[account_id] <= 0:  # else one entry per account ever dialled, for weeks
                    del self._held[account_id]
        self._wake.set()  # capacity was freed: claim again without waiting a whole tick

    def _store_sync(self, batch: list[CallResult]) -> None:
        with self.db.transaction() as session:
            applications = {result.job.application_id for result in batch}
            events = results.record_results(
                session,
                batch,
                now=self.clock(),
                base_url=self.settings.base_url,
                worker_id=self.worker_id,
                notify_for=self.emit.wanted(session, applications) if self.emit else (),
            )
            emit_all(session, events, self.emit)

    # --- liveness ---------------------------------------------------------------------------

    def _heartbeat_and_recover(self) -> None:
        now = self.clock()
        with self.db.transaction() as session:
            recovery.heartbeat(session, self.worker_id, now, max_calls=self.settings.dialer_max_calls)
            self._live_workers = recovery.live_workers(session, now, self.stale_after)
            if self._healthy_since is not None and now - self._healthy_since >= self.stale_after:
                events = recovery.reconcile(
                    session,
                    now=now,
                    stale_after=self.stale_after,
                    base_url=self.settings.base_url,
                    call_config_of=self.load_call_config,
                )
                emit_all(session, events, self.emit)
        if self._healthy_since is None:
            self._healthy_since = now

    def _adopt_blocks(self) -> None:
        # Blocks a previous run under this worker id left (a crash, then a restart with a fixed
        # id): given back on the first pass that does not use them.
        with self.db.reading() as session:
            self._block_accounts |= set(ledger.blocks_of(session=session, worker_id=self.worker_id))

    def _leave(self) -> None:
        # Every credit block back to its account (what calls still in flight hold stays, for
        # recovery to release), in the transaction that leaves the worker table: if it fails, the
        # worker goes stale and recovery folds the blocks instead.
        with self.db.transaction() as session:
            for account_id in ledger.blocks_of(session=session, worker_id=self.worker_id):
                ledger.fold(session=session, account_id=account_id, worker_id=self.worker_id)
            recovery.leave(session, self.worker_id)
