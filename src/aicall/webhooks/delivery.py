"""The seams of webhook delivery: what a claim hands out, what a send returns, the interfaces of
the outbox store and of the sender, and the one rule for an event's state after an attempt.

The delivery loop (`loop.py`) sees only these: the SQL store (`store.py`) and the in-memory one
(`fakes.py`) implement `OutboxStore`; the httpx sender (`sender.py`) and the scripted one
(`fakes.py`) implement `Sender`. Both stores apply `after_attempt`, so they cannot drift.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from standardwebhooks import Webhook

from aicall.ids import object_id
from aicall.webhooks.models import EventStatus
from aicall.webhooks.schedule import RetrySchedule

__all__ = ["LEASE_EXPIRED", "Job", "NextState", "OutboxStore", "Outcome", "Sender", "after_attempt"]

# The delivery log's entry for an attempt whose sender died before recording its result.
LEASE_EXPIRED = (
    "no result was recorded before the lease expired (the dispatcher stopped mid-delivery); sending again"
)


@dataclass(frozen=True, slots=True)
class Job:
    """One claimed event, ready to send. `attempt` is 1-based; `claim_token` names the claim
    whose lease covers it (a result is recorded only while that claim stands).

    `follow_ups`: the same contact's next pending events, claimed with this one under the same
    token, to be sent in order right after it is delivered (each only once the one before is),
    instead of waiting for its result to be recorded and a claim to find them. Those not sent
    (one before them failed, or the dispatcher stopped) are handed back when the results of
    the chain are recorded: due at once, no attempt spent, still behind the failed one."""

    event_id: str
    application_id: str
    event_type: str
    attempt: int
    url: str
    body: str  # the exact text POSTed and signed, identical on every attempt
    signer: Webhook
    claim_token: str
    follow_ups: tuple[Job, ...] = ()

    @property
    def size(self) -> int:
        """Events this job carries: itself and its follow-ups."""
        return 1 + len(self.follow_ups)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one attempt came to. `error` is None only on success; `response_body` holds at most
    the beginning of the receiver's answer. `log_id`: the id of its delivery-log entry, chosen
    once, so recording it twice (a retry after a commit whose result was lost) logs it once."""

    job: Job
    started_at: datetime
    succeeded: bool
    status_code: int | None
    latency_ms: int
    error: str | None
    response_body: str | None
    log_id: str = field(default_factory=object_id)


@dataclass(frozen=True, slots=True)
class NextState:
    status: EventStatus
    next_attempt_at: datetime | None  # set only while pending
    delivered_at: datetime | None  # set only when delivered


def after_attempt(outcome: Outcome, schedule: RetrySchedule, now: datetime) -> NextState:
    """The event's state once `outcome` is recorded at `now`: delivered, due again after the
    schedule's back-off, or failed when the schedule has no further attempt."""
    if outcome.succeeded:
        return NextState(EventStatus.DELIVERED, None, now)
    delay = schedule.delay_after(outcome.job.attempt)
    if delay is None:
        return NextState(EventStatus.FAILED, None, None)
    return NextState(EventStatus.PENDING, now + timedelta(seconds=delay), None)


class OutboxStore(Protocol):
    """Where events wait, are leased and have their attempts recorded.

    Delivery is at least once. A claim is a lease: the event's `next_attempt_at` moves to the
    end of the lease before the POST, and the attempt's result is recorded after it. A
    dispatcher that dies in between (kill -9, power loss) records nothing, so when the lease
    runs out the event is due again and goes out again with the same `webhook-id` — never
    lost, sometimes repeated, which is what the id is for. A result is recorded only while its
    claim stands; the next claim of an event whose lease ran out logs the lost attempt.

    `lease`: seconds a claim lasts. Recording is idempotent: outcomes recorded again after a
    transaction whose outcome the caller could not know (it failed at its commit) log each
    attempt once (`Outcome.log_id`) and change nothing more."""

    lease: float

    async def claim(self, limit: int) -> list[Job]:
        """Lease up to `limit` due events (follow-ups included), oldest due first; give up on
        those that cannot be sent."""
        ...

    async def record(self, outcomes: Sequence[Outcome], *, claim: int = 0) -> list[Job]:
        """Record `outcomes` (log each attempt; move each event on by `after_attempt` while its
        claim stands; hand back the follow-ups of their jobs that have no outcome among them),
        then claim up to `claim` more, all in one transaction."""
        ...

    async def release(self, outcomes: Sequence[Outcome], unstarted: Sequence[Job]) -> None:
        """Record `outcomes` and hand back `unstarted` jobs (with their follow-ups): due at
        once, no attempt spent."""
        ...

    def listen(self, waker: Callable[[], None]) -> Callable[[], None]:
        """Call `waker` (from any thread) when new events are committed in this process;
        return the function that stops it."""
        ...


class Sender(Protocol):
    """Delivers one job. `send` never raises: every failure is an Outcome with its reason."""

    async def send(self, job: Job) -> Outcome: ...

    async def aclose(self) -> None: ...
