"""Recording call results: attempt, charge, contact status and webhook events commit together."""

from __future__ import annotations

from collections.abc import Collection, Container, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, select, update
from sqlalchemy.orm import Session

from aicall.accounts import billing, ledger
from aicall.accounts.models import Application
from aicall.calls import events
from aicall.calls.models import AttemptStatus, CallAttempt
from aicall.calls.outcomes import CallOutcome, EndReason
from aicall.campaigns.models import (
    CLOSED_CAMPAIGN_STATUSES,
    DUE_STATUSES,
    Campaign,
    Contact,
    ContactStatus,
)
from aicall.compliance import audit, dnc, gate
from aicall.compliance.models import DncEntry
from aicall.compliance.rules import AuditType, DncSource, Reason, Rule
from aicall.dialer import retry
from aicall.dialer.jobs import CallResult
from aicall.events import Event


def recording_url(base_url: str, attempt: Any) -> str | None:
    """The public URL of the attempt's recording (None: not recorded)."""
    if not attempt.recording_path:
        return None
    return f"{base_url}/api/v1/public-api/recordings/{attempt.id}.wav"


def record_results(
    session: Session,
    results: Sequence[CallResult],
    *,
    now: datetime,
    base_url: str,
    worker_id: str,
    notify_for: Container[str],
) -> list[Event]:
    """Store each result (skipping attempts that recovery already closed); return the events
    of the calls whose application is in `notify_for` (the others' payloads are not built).

    The calls are settled against the credit block of `worker_id`, the dialer that claimed them
    (accounts.ledger.settle_many): the account row every dialer shares is not touched."""
    out: list[Event] = []
    batch = _load(session, results)
    # Nothing in the loop reads back what it changed, so the rows are flushed together
    # (executemany batches), not one by one before each balance update.
    with session.no_autoflush:
        for result in results:
            _record_one(
                session,
                result,
                batch,
                out,
                now=now,
                base_url=base_url,
                notify=result.job.application_id in notify_for,
            )
        _write_stored(session, batch.stored)
        # The credit block last: a claim locks its contacts before the block, so storing must
        # take them in the same order, or a claim and a store could deadlock (PostgreSQL).
        session.flush()
        gate.record_starts(session, batch.starts)  # as a claim takes them: before the block
        ledger.settle_many(session=session, worker_id=worker_id, settlements=batch.balance)
    return out


class _Row:
    """A row read for a batch, as plain attributes the result rules fill in (`_fill_attempt`,
    `_advance_contact`) and `_write_stored` writes back. Core rows, not ORM objects: building
    and tracking ORM objects for every read row was most of reading a batch (docs/benchmarks.md,
    issue 13). The attribute names are the columns' names, so `calls/events` reads them as it
    reads the ORM classes."""

    def __init__(self, values: Mapping[Any, Any]) -> None:
        self.__dict__.update(values)


@dataclass
class _Batch:
    """The rows a batch of results touches, read with one query per table."""

    attempts: dict[str, Any]  # _Row of call_attempts
    contacts: dict[str, Any]  # _Row of contacts
    campaign_status: dict[str, str]
    balance: list[ledger.Settlement] = field(default_factory=list)  # applied last, per block
    starts: list[gate.CallStart] = field(default_factory=list)  # advertising calls' real starts
    stored: list[tuple[Any, Any]] = field(
        default_factory=list
    )  # (attempt, contact), written by _write_stored


def _load(session: Session, results: Sequence[CallResult]) -> _Batch:
    attempt_ids = {result.job.attempt_id for result in results}
    contact_ids = {result.job.contact_id for result in results}
    campaign_ids = {result.job.campaign_id for result in results}
    attempts = session.execute(select(*_ATTEMPT_READ).where(_ATTEMPTS.c.id.in_(attempt_ids))).mappings()
    contacts = session.execute(select(*_CONTACT_READ).where(_CONTACTS.c.id.in_(contact_ids))).mappings()
    campaigns = session.execute(select(Campaign.id, Campaign.status).where(Campaign.id.in_(campaign_ids)))
    return _Batch(
        attempts={row["id"]: _Row(row) for row in attempts},
        contacts={row["id"]: _Row(row) for row in contacts},
        campaign_status={row.id: row.status for row in campaigns},
    )


def _record_one(
    session: Session,
    result: CallResult,
    batch: _Batch,
    out: list[Event],
    *,
    now: datetime,
    base_url: str,
    notify: bool,
) -> None:
    job = result.job
    attempt = batch.attempts.get(job.attempt_id)
    if attempt is None or attempt.status != AttemptStatus.IN_PROGRESS.value:
        # Recovery took this attempt over (this worker was presumed dead): it was settled
        # there; settling again would charge twice.
        return
    contact = batch.contacts.get(job.contact_id)
    campaign_status = batch.campaign_status.get(job.campaign_id)
    if contact is None or campaign_status is None:
        batch.balance.append(ledger.Settlement(job.account_id, attempt.reserved, 0, None))
        session.execute(delete(_ATTEMPTS).where(_ATTEMPTS.c.id == attempt.id))
        return
    _fill_attempt(attempt, result)
    billable = 0
    # A voicemail was answered (a machine's 200 OK): the carrier charges it as any answered call.
    if result.outcome in (CallOutcome.ANSWERED, CallOutcome.VOICEMAIL):
        billable = billing.billable_seconds(attempt.duration, job.billing_increment)
    elif job.charge_unanswered and result.end_reason is not EndReason.SHUTDOWN and not result.not_dialled:
        # A ring we cut short by stopping is our doing, not a dial the customer pays for; a
        # number never dialled is no dial at all.
        billable = max(1, job.billing_increment)
    attempt.billable_seconds = billable
    attempt.cost = (
        min(billing.cost(billable, job.price_per_minute), attempt.reserved) if attempt.reserved else 0
    )
    batch.balance.append(ledger.Settlement(job.account_id, attempt.reserved, attempt.cost, attempt.id))
    batch.stored.append((attempt, contact))
    next_step = _advance_contact(contact, campaign_status, result.outcome, job, now)
    if result.not_dialled and contact.status != ContactStatus.CANCELLED.value:
        # Its prompts cannot be spoken to it: dialling again would not change that.
        next_step = retry.NextStep(ContactStatus.FAILED)
        contact.status = next_step.status.value
        contact.next_attempt_at = None
    if attempt.opt_out:
        next_step = _opted_out(session, contact, job, now, out)
    if job.settings.advertising and result.started_at is not None:
        # Art. 13 cl. 5 counts 24 hours from the call's start, a moment after the claim.
        batch.starts.append(gate.CallStart(job.account_id, job.phone, result.started_at))
    if not notify:
        return
    out.append(
        events.attempt_finished(
            application_id=job.application_id,
            contact=contact,
            attempt=attempt,
            recording_url=recording_url(base_url, attempt),
            next_attempt_at=next_step.next_attempt_at,
        )
    )
    if contact.status != ContactStatus.RETRY_WAIT.value:
        out.append(
            events.contact_finished(
                application_id=job.application_id, contact=contact, finished_at=now, reason=result.not_dialled
            )
        )


_ATTEMPTS = cast(Table, CallAttempt.__table__)
_CONTACTS = cast(Table, Contact.__table__)
# The columns a stored result changes, as `_fill_attempt` and `_advance_contact` (and the
# opt-out and not-dialled rules) set them on the ORM objects.
_ATTEMPT_COLUMNS = (
    "status",
    "outcome",
    "sip_code",
    "sip_reason",
    "started_at",
    "answered_at",
    "ended_at",
    "duration",
    "recording_path",
    "error",
    "amd",
    "keys_pressed",
    "opt_out",
    "path",
    "end_reason",
    "billable_seconds",
    "cost",
)
_CONTACT_COLUMNS = (
    "status",
    "next_attempt_at",
    "last_outcome",
    "claimed_by",
    "updated_at",
    "compliance_reason",
    "compliance_rule",
)
# What a batch reads: the columns written back, and those the rules and events read.
_ATTEMPT_READ = [
    _ATTEMPTS.c[name]
    for name in dict.fromkeys(("id", "reserved", "number", "hotline", "claimed_at", *_ATTEMPT_COLUMNS))
]
_CONTACT_READ = [
    _CONTACTS.c[name]
    for name in dict.fromkeys(
        ("id", "campaign_id", "application_id", "phone", "tags", "attempts", *_CONTACT_COLUMNS)
    )
]
_STORE_ATTEMPT = (
    update(_ATTEMPTS)
    .where(_ATTEMPTS.c.id == bindparam("b_id"))
    .values({name: bindparam(name) for name in _ATTEMPT_COLUMNS})
)
_STORE_CONTACT = (
    update(_CONTACTS)
    .where(_CONTACTS.c.id == bindparam("b_id"))
    .values({name: bindparam(name) for name in _CONTACT_COLUMNS})
)


def _write_stored(session: Session, stored: Sequence[tuple[Any, Any]]) -> None:
    """Write the batch's attempts and contacts as two executemany UPDATEs (Core), the shape of
    the bare writes (bench/common_engine.bare_batch), not by the ORM's unit of work: its flush
    was a tenth of a dialer's time (docs/benchmarks.md, issue 13)."""
    if not stored:
        return
    connection = session.connection()
    # In primary-key order, as the ORM's flush wrote them: one lock order for every writer of
    # these rows (PostgreSQL), as `stop_listed` takes them.
    attempts = sorted((attempt for attempt, _ in stored), key=lambda row: row.id)
    contacts = sorted({contact.id: contact for _, contact in stored}.values(), key=lambda row: row.id)
    connection.execute(
        _STORE_ATTEMPT,
        [{"b_id": row.id, **{name: row.__dict__[name] for name in _ATTEMPT_COLUMNS}} for row in attempts],
    )
    connection.execute(
        _STORE_CONTACT,
        [{"b_id": row.id, **{name: row.__dict__[name] for name in _CONTACT_COLUMNS}} for row in contacts],
    )


def _fill_attempt(attempt: Any, result: CallResult) -> None:
    attempt.status = AttemptStatus.FINISHED.value
    attempt.outcome = result.outcome.value
    attempt.sip_code = result.sip_code
    attempt.sip_reason = (result.sip_reason or "")[:200] or None
    attempt.started_at = result.started_at
    attempt.answered_at = result.answered_at
    attempt.ended_at = result.ended_at
    attempt.duration = result.duration
    attempt.recording_path = result.recording_path
    attempt.error = result.error
    attempt.amd = result.amd
    if result.trace is not None:
        trace = result.trace.to_dict()
        attempt.keys_pressed = trace["keys_pressed"][:200]
        attempt.opt_out = bool(trace["opted_out"])
        attempt.path = trace["steps"]
        attempt.end_reason = trace["end_reason"]
        if trace["error"] and not attempt.error:
            attempt.error = trace["error"]
    if result.end_reason is not None:
        attempt.end_reason = result.end_reason.value


def _advance_contact(
    contact: Any, campaign_status: str, outcome: CallOutcome, job: Any, now: datetime
) -> retry.NextStep:
    contact.last_outcome = outcome.value
    contact.claimed_by = None
    contact.updated_at = now
    if contact.status == ContactStatus.CANCELLED.value:
        return retry.NextStep(ContactStatus.CANCELLED)  # cancelled while the call was live
    next_step = retry.after_attempt(outcome, attempts_made=contact.attempts, settings=job.settings, now=now)
    if next_step.retry_scheduled and campaign_status in CLOSED_CAMPAIGN_STATUSES:
        next_step = retry.NextStep(ContactStatus.CANCELLED)
    contact.status = next_step.status.value
    contact.next_attempt_at = next_step.next_attempt_at
    return next_step


def _opted_out(session: Session, contact: Any, job: Any, now: datetime, out: list[Event]) -> retry.NextStep:
    """The callee pressed the opt-out key (Decree 91/2020/ND-CP Art. 13 cl. 4: stop at once on
    refusal): the number goes on the account's Do-Not-Call list in this transaction, the contact
    finishes as `do_not_call` (reason opt_out), and the account's other contacts waiting with the
    number stop too."""
    contact.status = ContactStatus.DO_NOT_CALL.value
    contact.compliance_reason = Reason.OPT_OUT.value
    contact.compliance_rule = Rule.STOP_ON_REFUSAL.value
    contact.next_attempt_at = None
    dnc.add(
        session,
        account_id=job.account_id,
        phones=[contact.phone],
        source=DncSource.OPT_OUT,
        reason=f"opt-out key pressed (campaign {contact.campaign_id})",
        now=now,
        audited=False,
    )
    audit.record(
        session,
        account_id=job.account_id,
        entries=[
            audit.Entry(
                AuditType.OPT_OUT,
                audit.Action.LISTED,
                rule=Rule.STOP_ON_REFUSAL,
                phone=contact.phone,
                campaign_id=contact.campaign_id,
                contact_id=contact.id,
            )
        ],
        now=now,
    )
    out += stop_listed(session, account_id=job.account_id, now=now, phones=[contact.phone])
    return retry.NextStep(ContactStatus.DO_NOT_CALL)


def hold_contacts(
    session: Session,
    contacts: Sequence[Contact],
    *,
    until: Mapping[str, datetime],
    account_id: str,
    now: datetime,
) -> None:
    """Hold advertising contacts whose number had an advertising call too recently (Decree
    91/2020/ND-CP Art. 13 cl. 5): each waits, still due, until `until[phone]`, saying why
    (`frequency_limit`), with an audit entry. Not an attempt: nothing is charged or counted."""
    entries = []
    for contact in contacts:
        moment = until[contact.phone]
        contact.next_attempt_at = moment
        contact.compliance_reason = Reason.FREQUENCY_LIMIT.value
        contact.compliance_rule = Rule.ADVERTISING_FREQUENCY.value
        contact.updated_at = now
        entries.append(
            audit.Entry(
                AuditType.FREQUENCY_LIMIT,
                audit.Action.HELD,
                rule=Rule.ADVERTISING_FREQUENCY,
                phone=contact.phone,
                campaign_id=contact.campaign_id,
                contact_id=contact.id,
                until=moment,
            )
        )
    audit.record(session, account_id=account_id, entries=entries, now=now)


def stop_listed(
    session: Session, *, account_id: str, now: datetime, phones: Collection[str] | None = None
) -> list[Event]:
    """Finish every waiting contact of the account whose number is on its Do-Not-Call list
    (Decree 91/2020/ND-CP Art. 13 cl. 1): status `do_not_call`, no attempt, no charge, a
    `contact.finished` event and an audit entry each. `phones`: only these numbers (a short
    list just added); None: every listed number (after a bulk load).

    A contact in a call now is left to its call; the claim checks the list before every dial.
    """
    query = (
        select(Contact)
        .join(
            DncEntry,
            (DncEntry.account_id == account_id) & (DncEntry.phone == Contact.phone),
        )
        .where(
            Contact.application_id.in_(select(Application.id).where(Application.account_id == account_id)),
            Contact.status.in_(DUE_STATUSES),
        )
        .order_by(Contact.id)  # one lock order for every writer of these rows (PostgreSQL)
        .with_for_update(of=Contact)
    )
    if phones is not None:
        query = query.where(Contact.phone.in_(list(phones)))
    contacts = session.scalars(query).all()
    return finish_refused(session, contacts, account_id=account_id, now=now, action=audit.Action.STOPPED)


def finish_refused(
    session: Session,
    contacts: Sequence[Contact],
    *,
    account_id: str,
    now: datetime,
    action: audit.Action,
) -> list[Event]:
    """Finish contacts whose number is on the Do-Not-Call list without calling them: status
    `do_not_call`, a `contact.finished` event and an audit entry (`action`: stopped while
    waiting, or skipped by the claim about to dial)."""
    out: list[Event] = []
    entries = []
    for contact in contacts:
        contact.status = ContactStatus.DO_NOT_CALL.value
        contact.compliance_reason = Reason.DO_NOT_CALL.value
        contact.compliance_rule = Rule.DO_NOT_CALL_LIST.value
        contact.next_attempt_at = None
        contact.claimed_by = None
        contact.updated_at = now
        out.append(
            events.contact_finished(application_id=contact.application_id, contact=contact, finished_at=now)
        )
        entries.append(
            audit.Entry(
                AuditType.DO_NOT_CALL,
                action,
                rule=Rule.DO_NOT_CALL_LIST,
                phone=contact.phone,
                campaign_id=contact.campaign_id,
                contact_id=contact.id,
            )
        )
    audit.record(session, account_id=account_id, entries=entries, now=now)
    return out
