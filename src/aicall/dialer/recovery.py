"""After a crash: attempts left `in_progress` by a dead dialer are closed by one rule.

A dialer is dead when its heartbeat is older than `stale_after`, or the attempt's lease (ring
timeout + longest call + grace) has run out. Its attempts are finished as `failed` with the
error "dialer stopped during the call", the reservation is released from the credit block of
the dialer that claimed it (a dead dialer's blocks go back to their accounts), nothing is
charged (the call's real length is unknown; we never bill a guess), and the contact follows the
retry rule for `failed` counted from now — so it is not dialled again before its retry time, and it is
never lost: it is either scheduled again or finished with a webhook saying why.
"""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from aicall.accounts import ledger
from aicall.calls import events
from aicall.calls.models import AttemptStatus, CallAttempt
from aicall.calls.outcomes import CallOutcome
from aicall.campaigns.models import Campaign, Contact, ContactStatus
from aicall.campaigns.settings import effective
from aicall.dialer import retry
from aicall.dialer.models import DialerWorker
from aicall.dialer.results import recording_url
from aicall.events import Event
from aicall.observability.logging import get_logger

if TYPE_CHECKING:
    from aicall.dialer.claims import CallConfigLoader

log = get_logger("aicall.dialer")
LOST_CALL_ERROR = "dialer stopped during the call (crash or kill); result unknown, not charged"


def heartbeat(session: Session, worker_id: str, now: datetime, *, max_calls: int = 0) -> None:
    """Announce this dialer alive at `now` (its row made on the first beat). `max_calls`: its cap
    on calls in flight (AICALL_DIALER_MAX_CALLS, 0: none), which others read to tell contacts
    held by full dialers (waiting reason `dialer_capacity`)."""
    worker = session.get(DialerWorker, worker_id)
    if worker is None:
        session.add(
            DialerWorker(
                id=worker_id,
                hostname=socket.gethostname(),
                pid=os.getpid(),
                started_at=now,
                heartbeat_at=now,
                max_calls=max_calls,
            )
        )
    else:
        worker.heartbeat_at = now
        worker.max_calls = max_calls


def live_workers(session: Session, now: datetime, stale_after: timedelta) -> int:
    rows = session.scalars(
        select(DialerWorker.id).where(DialerWorker.heartbeat_at >= now - stale_after)
    ).all()
    return max(1, len(rows))


def leave(session: Session, worker_id: str) -> None:
    session.execute(delete(DialerWorker).where(DialerWorker.id == worker_id))


def reconcile(
    session: Session,
    *,
    now: datetime,
    stale_after: timedelta,
    base_url: str,
    call_config_of: CallConfigLoader | None = None,
) -> list[Event]:
    """Close the attempts of dead dialers; return the webhook events that says so."""
    live = select(DialerWorker.id).where(DialerWorker.heartbeat_at >= now - stale_after)
    orphans = session.scalars(
        select(CallAttempt).where(
            CallAttempt.status == AttemptStatus.IN_PROGRESS.value,
            or_(CallAttempt.lease_until < now, CallAttempt.worker_id.not_in(live)),
        )
    ).all()
    out: list[Event] = []
    releases: dict[tuple[str, str], int] = {}  # (account, dialer) -> what its calls held
    if orphans:
        log.warning("recovered stale attempts", count=len(orphans), attempt_ids=[a.id for a in orphans[:20]])
    for attempt in orphans:
        attempt.status = AttemptStatus.FINISHED.value
        attempt.outcome = CallOutcome.FAILED.value
        attempt.error = LOST_CALL_ERROR
        attempt.ended_at = now
        key = (attempt.account_id, attempt.worker_id)
        releases[key] = releases.get(key, 0) + attempt.reserved
        attempt.cost = 0
        contact = session.get(Contact, attempt.contact_id)
        campaign = session.get(Campaign, attempt.campaign_id)
        if contact is None or campaign is None:
            continue
        contact.claimed_by = None
        contact.last_outcome = CallOutcome.FAILED.value
        next_attempt_at = None
        if contact.status == ContactStatus.CALLING.value:
            call_config = (
                call_config_of(session, campaign.scenario_id)
                if (call_config_of and campaign.scenario_id)
                else None
            )
            settings = effective(campaign.settings, call_config)
            step = retry.after_attempt(
                CallOutcome.FAILED, attempts_made=contact.attempts, settings=settings, now=now
            )
            contact.status = step.status.value
            contact.next_attempt_at = step.next_attempt_at
            next_attempt_at = step.next_attempt_at
        application_id = campaign.application_id
        out.append(
            events.attempt_finished(
                application_id=application_id,
                contact=contact,
                attempt=attempt,
                recording_url=recording_url(base_url, attempt),
                next_attempt_at=next_attempt_at,
            )
        )
        if contact.status != ContactStatus.RETRY_WAIT.value:
            out.append(
                events.contact_finished(application_id=application_id, contact=contact, finished_at=now)
            )
    # Credit blocks last, then the account rows, as claims take them: no lock-order deadlock.
    # The lost calls' holds are released from the blocks of the dialers that claimed them, and
    # the blocks of dialers no longer alive go back to their accounts: what they charged comes
    # off the balance, the rest is available again (accounts.ledger.fold).
    for (account_id, worker_id), amount in sorted(releases.items()):
        if not ledger.release_calls(
            session=session, account_id=account_id, worker_id=worker_id, amount=amount
        ):
            log.error("no credit block held the lost calls", account_id=account_id, worker_id=worker_id)
    for account_id, worker_id in ledger.blocks_not_of(session=session, workers=live):
        ledger.fold(session=session, account_id=account_id, worker_id=worker_id)
    session.execute(delete(DialerWorker).where(DialerWorker.heartbeat_at < now - stale_after * 10))
    return out
