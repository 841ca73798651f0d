"""Claiming due contacts: one transaction that checks every limit, reserves the balance and
creates the attempts, so two dialers (or a crash between steps) can never dial twice."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, exists, func, insert, select, update
from sqlalchemy.orm import Session

from aicall.accounts import billing, ledger
from aicall.accounts.models import Account, Application
from aicall.accounts.secrets_box import SecretBox
from aicall.calls.models import AttemptStatus, CallAttempt
from aicall.campaigns import lifecycle
from aicall.campaigns.lifecycle import CloseReason, PauseReason
from aicall.campaigns.models import DUE_STATUSES, Campaign, CampaignStatus, Contact, ContactStatus
from aicall.campaigns.settings import CampaignSettings, effective
from aicall.compliance import audit
from aicall.compliance import gate as gate_module
from aicall.compliance.gate import ClaimGate, Screen, screen_claim
from aicall.dialer import results, window
from aicall.dialer.jobs import CallJob
from aicall.errors import ApiError
from aicall.events import Event
from aicall.hotlines import service as hotline_service
from aicall.ids import object_id
from aicall.interpreter.script import Script

LEASE_GRACE = timedelta(seconds=120)
# Calls' worth of credit a dialer takes into its block beyond the claim that runs short, so the
# next claims (and the stores, which give back what a call held beyond its cost) do not touch the
# account row every dialer shares. Two full claims' worth.
BLOCK_SPARE_CALLS = 400


@dataclass
class CampaignView:
    """What one scheduling pass knows of a running campaign."""

    campaign: Campaign
    account: Account
    settings: CampaignSettings
    script: Script  # a campaign without one is paused, never dialled (running_campaigns)


@dataclass
class ClaimOutcome:
    jobs: list[CallJob] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)


ScriptLoader = Callable[[Session, str], Script]
CallConfigLoader = Callable[[Session, str], dict[str, Any] | None]


def live_counts(session: Session) -> tuple[Counter[str], Counter[str], Counter[str]]:
    """Calls in flight by campaign, by caller number and by trunk (all dialers together)."""
    rows = session.execute(
        select(CallAttempt.campaign_id, CallAttempt.hotline, CallAttempt.trunk_id, func.count())
        .where(CallAttempt.status == AttemptStatus.IN_PROGRESS.value)
        .group_by(CallAttempt.campaign_id, CallAttempt.hotline, CallAttempt.trunk_id)
    ).all()
    by_campaign: Counter[str] = Counter()
    by_line: Counter[str] = Counter()
    by_trunk: Counter[str] = Counter()
    for campaign_id, hotline, trunk_id, count in rows:
        by_campaign[campaign_id] += count
        if hotline:
            by_line[hotline] += count
        if trunk_id:
            by_trunk[trunk_id] += count
    return by_campaign, by_line, by_trunk


def running_campaigns(
    session: Session,
    *,
    load_script: ScriptLoader,
    load_call_config: CallConfigLoader,
    now: datetime,
    events: list[Event],
) -> list[CampaignView]:
    """The running campaigns, oldest start first, with what a pass needs to dial them.

    A campaign that can no longer be dialled is paused (`cannot_dial: …`) and left out; its
    `campaign.paused` event is appended to `events`, for the caller's transaction. So is one with
    no scenario (`lifecycle.NO_SCENARIO`: started before `check_ready` refused that): its contacts
    stay due, to be called once it has a scenario and is resumed, rather than rung and hung up on.
    """
    rows = session.execute(
        select(Campaign, Account)
        .join(Application, Application.id == Campaign.application_id)
        .join(Account, Account.id == Application.account_id)
        .where(Campaign.status == CampaignStatus.RUNNING.value)
        .order_by(Campaign.started_at)
    ).all()
    views = []
    for campaign, account in rows:
        if not campaign.scenario_id:
            events += lifecycle.pause_for(
                session, campaign, PauseReason.CANNOT_DIAL, now=now, detail=lifecycle.NO_SCENARIO
            )
            continue
        try:
            call_config = load_call_config(session, campaign.scenario_id)
            script = load_script(session, campaign.scenario_id)
            settings = effective(campaign.settings, call_config)
        except (ApiError, ValueError) as exc:
            # A scenario deleted or never approved, or settings that no longer validate: stop
            # dialling this campaign and say why, rather than failing every pass.
            events += lifecycle.pause_for(
                session, campaign, PauseReason.CANNOT_DIAL, now=now, detail=str(exc)
            )
            continue
        views.append(CampaignView(campaign, account, settings, script))
    return views


def claim_for_campaign(
    session: Session,
    *,
    view: CampaignView,
    limit: int,
    box: SecretBox,
    worker_id: str,
    now: datetime,
    lines_busy: Counter[str],
    trunks_busy: Counter[str],
    skip_locked: bool,
    rng: random.Random,
    allow_simulator: bool = True,
    gate: ClaimGate = screen_claim,
) -> ClaimOutcome:
    """Claim up to `limit` due contacts of one campaign; pause it if the balance runs out."""
    outcome = ClaimOutcome()
    campaign, account, settings = view.campaign, view.account, view.settings
    pool = hotline_service.find_pool(session=session, account_id=account.id, key=settings.pool_hotline_key)
    if pool is None:
        outcome.events += lifecycle.pause_for(
            session, campaign, PauseReason.UNKNOWN_POOL, now=now, detail=settings.pool_hotline_key
        )
        return outcome
    if settings.advertising and not pool.advertising_registered:
        # The pool lost its registration after the start (which checks it): stop, say why.
        outcome.events += lifecycle.pause_for(
            session, campaign, PauseReason.CANNOT_DIAL, now=now, detail=lifecycle.unregistered_pool(pool.key)
        )
        return outcome
    lines = hotline_service.pool_lines(session=session, box=box, pool=pool)
    if lines.trunk is None and not allow_simulator:
        outcome.events += lifecycle.pause_for(
            session, campaign, PauseReason.NO_TRUNK, now=now, detail=settings.pool_hotline_key
        )
        return outcome
    trunk_free = None
    if lines.trunk is not None and lines.trunk_capacity is not None:
        trunk_free = lines.trunk_capacity - trunks_busy[lines.trunk.id]
        limit = min(limit, trunk_free)
    free_lines = {
        number: cap - lines_busy[number] for number, cap in lines.lines if cap - lines_busy[number] > 0
    }
    limit = min(limit, sum(free_lines.values()))
    if limit <= 0:
        return outcome
    query = (
        select(Contact)
        .where(
            Contact.campaign_id == campaign.id,
            # Literal statuses: PostgreSQL can then prove the partial index ix_contacts_open_due
            # applies, in generic plans too (a bound list would hide it).
            Contact.status.in_(bindparam("due", list(DUE_STATUSES), expanding=True, literal_execute=True)),
            Contact.next_attempt_at <= now,
        )
        .order_by(Contact.next_attempt_at)
        .limit(limit)
    )
    if skip_locked:
        query = query.with_for_update(skip_locked=True)
    contacts, screen = _allowed(
        session, view, session.scalars(query).all(), gate=gate, now=now, outcome=outcome
    )
    reservation = (
        0
        if not contacts
        else billing.worst_case(
            settings.max_duration,
            increment=account.billing_increment,
            price_per_minute=account.price_per_minute,
        )
    )
    lease_until = now + timedelta(seconds=settings.ring_timeout + settings.max_duration) + LEASE_GRACE
    # The calls' worst cases are held in this dialer's credit block (accounts.ledger.hold): one
    # statement on the dialer's own row, the account row only when the block runs low. When the
    # balance cannot cover every contact, as many are dialled as it covers.
    covered = ledger.hold(
        session=session,
        account_id=account.id,
        worker_id=worker_id,
        per_call=reservation,
        calls=len(contacts),
        spare_calls=BLOCK_SPARE_CALLS,
    )
    if contacts and not covered and _out_of_credit(session, account.id, worker_id, reservation):
        outcome.events += lifecycle.pause_for(session, campaign, PauseReason.INSUFFICIENT_BALANCE, now=now)
    # The claimed contacts and their attempts are written as two executemany statements (Core),
    # the shape of the bare writes (bench/common_engine.bare_batch), not as ORM objects flushed
    # by a unit of work: building and flushing those was about a quarter of a dialer's time
    # (docs/benchmarks.md, issue 13). The contacts are already locked (FOR UPDATE above).
    claimed: list[dict[str, Any]] = []
    attempts: list[dict[str, Any]] = []
    for contact in contacts[:covered]:
        hotline = _pick_line(free_lines, settings.hotline_selection, rng)
        free_lines[hotline] -= 1
        if free_lines[hotline] <= 0:
            del free_lines[hotline]
        number = contact.attempts + 1
        claimed.append({"b_id": contact.id, "attempts": number})
        attempt_id = object_id()
        attempts.append(
            {
                "id": attempt_id,
                "contact_id": contact.id,
                "campaign_id": campaign.id,
                "account_id": account.id,
                "number": number,
                "status": AttemptStatus.IN_PROGRESS.value,
                "worker_id": worker_id,
                "lease_until": lease_until,
                "hotline": hotline,
                "trunk_id": lines.trunk.id if lines.trunk else None,
                "reserved": reservation,
                "claimed_at": now,
                "scenario_version": view.script.version,
            }
        )
        outcome.jobs.append(
            CallJob(
                attempt_id=attempt_id,
                attempt_number=number,
                contact_id=contact.id,
                campaign_id=campaign.id,
                application_id=campaign.application_id,
                account_id=account.id,
                phone=contact.phone,
                tags=dict(contact.tags or {}),
                hotline=hotline,
                trunk=lines.trunk,
                settings=settings,
                script=view.script,
                reserved=reservation,
                price_per_minute=account.price_per_minute,
                billing_increment=account.billing_increment,
                charge_unanswered=account.charge_unanswered,
                asserted_identity=lines.asserted_identity,
                privacy=lines.privacy,
            )
        )
        if not free_lines:
            break
    _write_claims(session, contacts, claimed, attempts, worker_id=worker_id, now=now)
    if reservation and len(outcome.jobs) < covered:
        unused = reservation * (covered - len(outcome.jobs))
        ledger.unhold(session=session, account_id=account.id, worker_id=worker_id, amount=unused)
    if screen.taken and len(outcome.jobs) < len(contacts):
        dialled = {job.phone for job in outcome.jobs}
        gate_module.release(
            session,
            account_id=account.id,
            taken=screen.taken,
            phones=[c.phone for c in contacts if c.phone not in dialled],
        )
    return outcome


_CONTACTS = cast(Table, Contact.__table__)
_ATTEMPTS = cast(Table, CallAttempt.__table__)
_CLAIM_CONTACT = (
    update(_CONTACTS)
    .where(_CONTACTS.c.id == bindparam("b_id"))
    .values(
        status=ContactStatus.CALLING.value,
        compliance_reason=None,  # a hold that has ended
        compliance_rule=None,
        attempts=bindparam("attempts"),
        claimed_by=bindparam("claimed_by"),
        claimed_at=bindparam("claimed_at"),
    )
)


def _write_claims(
    session: Session,
    contacts: Sequence[Contact],
    claimed: list[dict[str, Any]],
    attempts: list[dict[str, Any]],
    *,
    worker_id: str,
    now: datetime,
) -> None:
    """Mark `claimed` contacts (the first rows of `contacts`) `calling`, claimed by `worker_id`
    at `now`, `attempts` counted, and insert their `attempts` rows: one executemany each. The
    contacts' ORM objects, read by the claim and now stale, leave the session."""
    if not claimed:
        return
    for row in claimed:
        row["claimed_by"] = worker_id
        row["claimed_at"] = now
    connection = session.connection()
    # In primary-key order, as the ORM's flush wrote them: one lock order for every writer.
    connection.execute(_CLAIM_CONTACT, sorted(claimed, key=lambda row: str(row["b_id"])))
    connection.execute(insert(_ATTEMPTS), attempts)
    for contact in contacts[: len(claimed)]:
        session.expunge(contact)


def _out_of_credit(session: Session, account_id: str, worker_id: str, per_call: int) -> bool:
    """No dialer can hold one more call of the account: pause its campaign for balance. Credit
    another live dialer's block holds unused is not a reason to pause (that dialer dials with it
    and gives it back when idle); this dialer's own scraps go back to the account first."""
    ledger.fold(session=session, account_id=account_id, worker_id=worker_id)
    if ledger.available(session=session, account_id=account_id) < per_call:
        return True
    spare = ledger.spare_elsewhere(session=session, account_id=account_id, worker_id=worker_id)
    left = session.scalar(select(Account.balance - Account.reserved).where(Account.id == account_id))
    return int(left or 0) + spare < per_call


def _allowed(
    session: Session,
    view: CampaignView,
    contacts: Sequence[Contact],
    *,
    gate: ClaimGate,
    now: datetime,
    outcome: ClaimOutcome,
) -> tuple[list[Contact], Screen]:
    """The contacts the calling rules let this claim dial (Decree 91/2020/ND-CP Art. 13), asked
    after they are read and locked, in the claim's transaction. A listed number is finished as
    `do_not_call` here, never dialled; under the advertising policy a number called too recently
    waits (`frequency_limit`) until it may be called again."""
    if not contacts:
        return [], Screen()
    settings = view.settings
    screen = gate(
        session,
        account_id=view.account.id,
        campaign_id=view.campaign.id,
        phones={contact.phone for contact in contacts},
        now=now,
        advertising_interval=timedelta(seconds=settings.advertising_interval)
        if settings.advertising
        else None,
    )
    if not screen.listed and not screen.held:
        return list(contacts), screen
    refused = [contact for contact in contacts if contact.phone in screen.listed]
    outcome.events += results.finish_refused(
        session, refused, account_id=view.account.id, now=now, action=audit.Action.SKIPPED_AT_CLAIM
    )
    held = [contact for contact in contacts if contact.phone in screen.held]
    results.hold_contacts(session, held, until=screen.held, account_id=view.account.id, now=now)
    return [c for c in contacts if c.phone not in screen.listed and c.phone not in screen.held], screen


def _pick_line(free: dict[str, int], selection: str, rng: random.Random) -> str:
    if selection == "LEAST_BUSY":
        return max(free, key=lambda number: free[number])
    if selection == "ROUND_ROBIN":
        return next(iter(free))  # lines are ordered; a used-up line drops out of `free`
    return rng.choice(list(free))


def complete_if_over(session: Session, view: CampaignView, now: datetime, outcome: ClaimOutcome) -> bool:
    """Complete a campaign whose end date has passed, or one set to `complete_when_done` whose
    contacts are all final and have been for `quiet_period` seconds: what is left to call is
    cancelled."""
    if window.is_over(view.settings, now):
        reason = CloseReason.END_DATE
    elif view.settings.complete_when_done and _done_and_quiet(session, view, now):
        reason = CloseReason.ALL_CONTACTS_DONE
    else:
        return False
    outcome.events += lifecycle.finish(
        session, view.campaign, status=CampaignStatus.COMPLETED, now=now, reason=reason
    )
    return True


_OPEN_STATUSES = (*DUE_STATUSES, ContactStatus.CALLING.value)


def _done_and_quiet(session: Session, view: CampaignView, now: datetime) -> bool:
    """No contact is left to call or in a call, and none was added or changed (nor the campaign
    started) for `quiet_period` seconds. A campaign with no contact counts from its start."""
    campaign = view.campaign
    busy = session.scalar(
        select(exists().where(Contact.campaign_id == campaign.id, Contact.status.in_(_OPEN_STATUSES)))
    )
    if busy:
        return False
    # Read only while the campaign is drained, so at most for one quiet period.
    last_change = session.scalar(
        select(func.max(Contact.updated_at)).where(Contact.campaign_id == campaign.id)
    )
    quiet_since = max((moment for moment in (last_change, campaign.started_at) if moment), default=now)
    return now - quiet_since >= timedelta(seconds=view.settings.quiet_period)
