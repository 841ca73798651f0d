"""The delivery loop: scheduling and concurrency, over any outbox store and any sender.

It knows no SQL and no HTTP: jobs come from an `OutboxStore`, go out through a `Sender`, and
their outcomes go back to the store. Tests run it on `fakes.InMemoryOutbox` and `fakes.FakeSender`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Self, TypeVar

from aicall.observability import metrics
from aicall.observability.logging import get_logger
from aicall.webhooks.delivery import Job, OutboxStore, Outcome, Sender

__all__ = ["RECORD_WITHIN", "STORE_RETRY", "WIND_DOWN_TRIES", "DeliveryLoop"]

log = logging.getLogger("aicall.webhooks")
slog = get_logger("aicall.webhooks")
T = TypeVar("T")
RECORD_WITHIN = 0.1  # seconds a delivery's result may wait to be written with others
STORE_RETRY = 0.5  # seconds between a failed store transaction and the next try
WIND_DOWN_TRIES = 3  # tries to write the last results when stopping, the store failing


class DeliveryLoop:
    """Delivers the store's due events through the sender, `concurrency` at a time, claiming
    up to `batch` events per claim. Use one loop per event loop. `aclose()` closes the sender."""

    def __init__(self, store: OutboxStore, sender: Sender, *, batch: int = 50, concurrency: int = 16) -> None:
        if batch < 1 or concurrency < 1:
            raise ValueError("batch and concurrency must be at least 1")
        self.store = store
        self.sender = sender
        self.batch = batch
        self.concurrency = concurrency
        self._slots = asyncio.Semaphore(concurrency)

    async def run_once(self) -> int:
        """Claim one batch of due events, deliver them (each job's follow-ups after it), record
        the results; return how many events were claimed. Store errors propagate (unlike in `run`)."""
        jobs = await self.store.claim(self.batch)
        if not jobs:
            return 0
        chains = await asyncio.gather(*(self._send(job) for job in jobs))
        await self.store.record([outcome for chain in chains for outcome in chain])
        return sum(job.size for job in jobs)

    async def run(self, stop: asyncio.Event, idle_delay: float = 0.5) -> None:
        """Deliver until `stop` is set, then finish the deliveries in flight and return.

        Keeps `concurrency` deliveries going from a local queue of claimed events, topped up a
        batch at a time; a slow receiver holds one slot, not a batch. Results are recorded as
        they come, in the same transaction as the next claim. When nothing is due it sleeps up
        to `idle_delay` seconds; the store's wake-up (new events committed) ends the sleep at once.
        A failing store is logged and tried again `STORE_RETRY` seconds later with the same
        results: a transaction that failed wrote nothing, and a result dropped would have its
        event sent again when its lease ran out. Results are kept until written or until the
        store's lease has passed since the store began failing (their claims have all expired
        by then: the next claim logs those attempts as lost and sends the events again).
        """
        await _Run(self.store, self._send, self.batch, self.concurrency, stop, idle_delay).until_stopped()

    async def aclose(self) -> None:
        await self.sender.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.aclose()

    async def _send(self, job: Job) -> list[Outcome]:
        """Send `job`, then its follow-ups in order, each once the one before was delivered;
        one slot for the chain. The outcomes of those sent, in order."""
        async with self._slots:
            outcomes = [await self._send_one(job)]
            for follow_up in job.follow_ups:
                if not outcomes[-1].succeeded:
                    break  # the rest wait behind it, handed back when these are recorded
                outcomes.append(await self._send_one(follow_up))
        return outcomes

    async def _send_one(self, job: Job) -> Outcome:
        outcome = await self.sender.send(job)
        metrics.webhook_delivered(succeeded=outcome.succeeded, latency_ms=outcome.latency_ms)
        if not outcome.succeeded:
            slog.warning(
                "webhook delivery failed",
                application_id=job.application_id,
                event_id=job.event_id,
                event_type=job.event_type,
                attempt=job.attempt,
                status_code=outcome.status_code,
                error=outcome.error,
            )
        return outcome


class _Run:
    """The state of one `DeliveryLoop.run`. `queue`: claimed jobs not started; `in_flight`: at
    most `concurrency` sends; `unrecorded`: finished results, to be written by `record_by`;
    `poll_at`: when to claim again (0: at once, the last claim was a full batch); `retry_at`:
    nothing goes to the store before it (the store failed just now); `failing_since`: when the
    store began failing, None while it works. Times are the event loop's clock."""

    def __init__(
        self,
        store: OutboxStore,
        send: Callable[[Job], Coroutine[Any, Any, list[Outcome]]],
        batch: int,
        concurrency: int,
        stop: asyncio.Event,
        idle_delay: float,
    ) -> None:
        self.store = store
        self.send = send
        self.batch = batch
        self.concurrency = concurrency
        self.stop = stop
        self.idle_delay = idle_delay
        self.loop = asyncio.get_running_loop()
        self.wake = asyncio.Event()
        self.queue: deque[Job] = deque()
        self.in_flight: set[asyncio.Task[list[Outcome]]] = set()
        self.unrecorded: list[Outcome] = []
        self.record_by = 0.0
        self.poll_at = 0.0
        self.retry_at = 0.0
        self.failing_since: float | None = None
        self.failures = 0  # store transactions failed in a row
        self.stop_task = asyncio.ensure_future(stop.wait())
        self.wake_task = asyncio.ensure_future(self.wake.wait())

    async def until_stopped(self) -> None:
        unlisten = self.store.listen(self._waker)
        try:
            while True:
                self._collect()
                if self.stop.is_set():
                    if await self._wind_down():
                        return
                    continue
                await self._exchange()
                while self.queue and len(self.in_flight) < self.concurrency:
                    self.in_flight.add(asyncio.create_task(self.send(self.queue.popleft())))
                await self._wait()
        finally:
            unlisten()
            for task in (self.stop_task, self.wake_task, *self.in_flight):
                task.cancel()  # unrecorded deliveries come back when their lease ends

    def _waker(self) -> None:
        # Called from the threads that commit; the event belongs to the loop's thread.
        with contextlib.suppress(RuntimeError):  # the loop has closed
            self.loop.call_soon_threadsafe(self.wake.set)

    def _collect(self) -> None:
        finished = {task for task in self.in_flight if task.done()}
        if finished:
            self.in_flight -= finished
            if not self.unrecorded:
                self.record_by = self.loop.time() + RECORD_WITHIN
            for task in finished:
                self.unrecorded.extend(task.result())

    async def _wind_down(self) -> bool:
        """Record what finished and hand back what was claimed but not started (due again now,
        not at the lease's end); True once nothing is in flight and nothing is left to write.
        A failed write is tried again `STORE_RETRY` seconds later, up to `WIND_DOWN_TRIES`
        failures in a row; then what is left is given up to the leases (logged)."""
        if (self.unrecorded or self.queue) and self.loop.time() >= self.retry_at:
            written, _ = await self._attempt(self.store.release(self.unrecorded, list(self.queue)))
            if written:
                self.unrecorded, self.queue = [], deque()
            elif self.failures >= WIND_DOWN_TRIES:
                self._give_up_results("the dispatcher is stopping")
                self.queue = deque()  # their leases bring them back
        left = bool(self.unrecorded or self.queue)
        if not self.in_flight and not left:
            return True
        until_retry = max(self.retry_at - self.loop.time(), 0.0)
        if self.in_flight:  # until they finish; with writes left over, at most until the next try
            await asyncio.wait(self.in_flight, timeout=until_retry if left else None)
        else:
            await asyncio.sleep(until_retry)
        return False

    async def _exchange(self) -> None:
        """Claim when there is room and something may be due (woken, polled, or results to
        write); write results once enough have gathered, the oldest has waited
        `RECORD_WITHIN`, or no send is left in flight to wait for. Both go in one transaction:
        fewer commits, and only a moment more of at-least-once."""
        now = self.loop.time()
        if now < self.retry_at:
            return  # the store failed a moment ago
        record = len(self.unrecorded) >= self.concurrency or (
            bool(self.unrecorded) and (now >= self.record_by or not self.in_flight)
        )
        # A result recorded may free a contact's next event (they go one at a time, in order,
        # and are often committed together): claim with it, rather than at the next poll.
        due = len(self.queue) < self.concurrency and (self.wake.is_set() or now >= self.poll_at or record)
        want = self.batch - len(self.queue) if due else 0
        if not (want or record):
            return
        if want:
            self.wake.clear()
        written, jobs = await self._attempt(self.store.record(self.unrecorded, claim=want))
        if not written or jobs is None:
            # Rolled back: nothing written, nothing claimed. The results stay, for the next try.
            if want:
                self.poll_at = self.retry_at
            return
        self.unrecorded = []
        self.queue.extend(jobs)
        if want:
            full = sum(job.size for job in jobs) >= want
            self.poll_at = 0.0 if full else self.loop.time() + self.idle_delay

    async def _wait(self) -> None:
        """Until a send finishes, stop is set, a wake-up comes, or the next deadline passes."""
        waiters: set[asyncio.Future[Any]] = {self.stop_task, *self.in_flight}
        deadlines = [self.record_by] if self.unrecorded else []
        if len(self.queue) < self.concurrency:  # room for more: a poll or a wake-up may fill it
            deadlines.append(self.poll_at)
            if self.loop.time() >= self.retry_at:  # a wake-up counts only once the store may be tried
                if self.wake_task.done():
                    self.wake_task = asyncio.ensure_future(self.wake.wait())
                waiters.add(self.wake_task)
        timeout = max(min(deadlines), self.retry_at) - self.loop.time() if deadlines else None
        if timeout is not None and timeout <= 0:
            return  # something is due right now
        await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)

    async def _attempt(self, work: Awaitable[T]) -> tuple[bool, T | None]:
        """Await store work (one transaction): (True, its value), or (False, None) if it
        failed. A failure is logged, and nothing goes to the store for `STORE_RETRY` seconds;
        once the store has failed for as long as its lease, the results kept for it are given
        up (`_give_up_results`)."""
        try:
            done = await work
        except Exception:
            log.exception("webhook dispatcher: database work failed; retrying on the next pass")
            now = self.loop.time()
            self.failures += 1
            self.retry_at = now + STORE_RETRY
            if self.failing_since is None:
                self.failing_since = now
            elif now - self.failing_since >= self.store.lease:
                self._give_up_results(f"the store has failed for {now - self.failing_since:.0f} s")
            return False, None
        self.failures, self.failing_since = 0, None
        return True, done

    def _give_up_results(self, why: str) -> None:
        """Drop the results not written: their leases end (or have ended), then those events
        are claimed again, their attempts logged as lost, and sent again (at least once)."""
        if self.unrecorded:
            log.error(
                "webhook dispatcher: %d delivery results not written (%s); their events go out "
                "again when their leases run out",
                len(self.unrecorded),
                why,
            )
        self.unrecorded = []
        self.failing_since = None
