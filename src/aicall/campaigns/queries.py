"""Reading campaigns, contacts and attempts for the API (live counts included)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, column, func, select, table
from sqlalchemy.orm import Session

from aicall.accounts import billing, ledger
from aicall.accounts.models import Account, Application
from aicall.calls.models import CallAttempt
from aicall.campaigns import waiting, window
from aicall.campaigns.models import Campaign, Contact
from aicall.campaigns.settings import CampaignSettings, effective
from aicall.clock import utc_now
from aicall.compliance import rules
from aicall.config import get_settings
from aicall.db.base import UTCDateTime
from aicall.errors import CampaignNotFound, ContactNotFound
from aicall.scenarios.models import Scenario


def _iso(moment: Any) -> str | None:
    return moment.isoformat() if moment else None


def get_campaign(
    session: Session, *, application_id: str, campaign_id: str, for_update: bool = False
) -> Campaign:
    query = select(Campaign).where(Campaign.id == campaign_id, Campaign.application_id == application_id)
    if for_update:
        query = query.with_for_update()
    campaign = session.scalars(query).first()
    if campaign is None:
        raise CampaignNotFound()
    return campaign


def settings_of(session: Session, campaign: Campaign) -> CampaignSettings:
    call_config = None
    if campaign.scenario_id:
        scenario = session.get(Scenario, campaign.scenario_id)
        call_config = scenario.call_config if scenario else None
    return effective(campaign.settings, call_config)


def counts(session: Session, campaign_id: str) -> dict[str, Any]:
    by_status = dict(
        session.execute(
            select(Contact.status, func.count())
            .where(Contact.campaign_id == campaign_id)
            .group_by(Contact.status)
        ).all()
    )
    by_outcome = dict(
        session.execute(
            select(CallAttempt.outcome, func.count())
            .where(CallAttempt.campaign_id == campaign_id, CallAttempt.outcome.is_not(None))
            .group_by(CallAttempt.outcome)
        ).all()
    )
    live = session.scalar(
        select(func.count()).where(
            CallAttempt.campaign_id == campaign_id, CallAttempt.status == "in_progress"
        )
    )
    cost = session.scalar(
        select(func.coalesce(func.sum(CallAttempt.cost), 0)).where(CallAttempt.campaign_id == campaign_id)
    )
    return {
        "contacts": int(sum(by_status.values())),
        "by_status": {k: int(v) for k, v in by_status.items()},
        "attempts": int(sum(by_outcome.values())),
        "by_outcome": {k: int(v) for k, v in by_outcome.items()},
        "calls_in_progress": int(live or 0),
        "cost": int(cost or 0),
    }


# The dialers' heartbeat rows (aicall.dialer.models.DialerWorker, written by dialer.recovery only),
# named here as a plain table: a domain does not import the dialer (the floors of ARCHITECTURE.md).
_DIALERS = table("dialer_workers", column("id"), column("heartbeat_at", UTCDateTime), column("max_calls"))


@dataclass(frozen=True, slots=True)
class DialerPool:
    """The live dialer processes as one pool. `live`: how many sent a heartbeat within the stale
    window; `calls`: (calls in flight on them, the sum of their AICALL_DIALER_MAX_CALLS caps) when
    every one has a cap, else None (no cap bounds the pool)."""

    live: int
    calls: tuple[int, int] | None = None


def live_dialers(session: Session, *, now: datetime, stale_after: timedelta | None = None) -> DialerPool:
    """The dialer processes that sent a heartbeat within `stale_after` of `now` (default: this
    deployment's AICALL_DIALER_STALE_AFTER, the window after which the dialers themselves take a
    silent dialer for dead, dialer.recovery), with their calls in flight when all have a cap."""
    if stale_after is None:
        stale_after = timedelta(seconds=get_settings().dialer_stale_after)
    alive = _DIALERS.c.heartbeat_at >= now - stale_after
    live, capacity, uncapped = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(_DIALERS.c.max_calls), 0),
            func.coalesce(func.sum(case((_DIALERS.c.max_calls <= 0, 1), else_=0)), 0),
        )
        .select_from(_DIALERS)
        .where(alive)
    ).one()
    if not live or uncapped:
        return DialerPool(int(live or 0))
    in_flight = session.scalar(
        select(func.count()).where(
            CallAttempt.status == "in_progress",
            CallAttempt.worker_id.in_(select(_DIALERS.c.id).where(alive)),
        )
    )
    return DialerPool(int(live), (int(in_flight or 0), int(capacity)))


def waiting_of(
    session: Session, campaign: Campaign, *, now: datetime, dialers: DialerPool | None = None
) -> waiting.Waiting | None:
    """Why the campaign dials nobody now (see campaigns.waiting), read from the database.
    `dialers`: the live dialers, when the caller read them already (`live_dialers`)."""
    try:
        settings = settings_of(session, campaign)
    except ValueError:
        return None  # the dialer pauses it (cannot_dial) on its next pass
    account = session.scalars(
        select(Account)
        .join(Application, Application.account_id == Account.id)
        .where(Application.id == campaign.application_id)
    ).one()
    live = session.scalar(
        select(func.count()).where(
            CallAttempt.campaign_id == campaign.id, CallAttempt.status == "in_progress"
        )
    )
    pool = live_dialers(session, now=now) if dialers is None else dialers
    return waiting.for_campaign(
        campaign=campaign,
        settings=settings,
        now=now,
        available_balance=ledger.available(session=session, account_id=account.id),
        call_reservation=billing.worst_case(
            settings.max_duration,
            increment=account.billing_increment,
            price_per_minute=account.price_per_minute,
        ),
        live_calls=int(live or 0),
        live_dialers=pool.live,
        dialer_calls=pool.calls,
    )


_OPEN = ("draft", "running", "paused")
_INSTANT = timedelta(microseconds=1)


def waiting_by_reason(session: Session, *, now: datetime) -> Counter[str]:
    """Contacts not yet final of every open campaign, by why they wait (`campaigns.waiting`'s
    reasons; `ready`: may be dialled now). One grouped count per open campaign."""
    totals: Counter[str] = Counter()
    dialers = live_dialers(session, now=now)
    for campaign in session.scalars(select(Campaign).where(Campaign.status.in_(_OPEN))):
        held = waiting_of(session, campaign, now=now, dialers=dialers)
        until = held.until if held is not None else None
        groups: list[ColumnElement[Any]] = [Contact.status.expression, Contact.next_attempt_at > now]
        if until is not None:
            groups.append(Contact.next_attempt_at > until)
        rows = session.execute(
            select(*groups, func.count())
            .where(Contact.campaign_id == campaign.id, Contact.status.in_(("pending", "retry_wait")))
            .group_by(*groups)
        ).all()
        for row in rows:
            status, future, count = str(row[0]), bool(row[1]), int(row[-1])
            # A moment standing for the group, so the one rule (waiting.for_contact) decides.
            moment = now + _INSTANT if future else now
            if until is not None and row[2]:
                moment = until + _INSTANT  # due only after the window opens
            reason = waiting.for_contact(status=status, next_attempt_at=moment, campaign=held, now=now)
            totals[reason.reason.value if reason else "ready"] += count
    return totals


def campaigns_by_status(session: Session) -> dict[str, int]:
    """How many campaigns are in each status."""
    rows = session.execute(select(Campaign.status, func.count()).group_by(Campaign.status)).all()
    return {status: int(count) for status, count in rows}


def running_balances(session: Session) -> dict[str, int]:
    """Available balance (whole đồng) of each account with a running campaign, as the balance
    page gives it: credit dialers hold in blocks but no call uses counts (accounts.ledger)."""
    accounts = session.scalars(
        select(Account.id)
        .join(Application, Application.account_id == Account.id)
        .join(Campaign, Campaign.application_id == Application.id)
        .where(Campaign.status == "running")
        .distinct()
    ).all()
    return {account_id: ledger.available(session=session, account_id=account_id) for account_id in accounts}


def campaign_dict(
    session: Session, campaign: Campaign, *, with_counts: bool = True, now: datetime | None = None
) -> dict[str, Any]:
    """The API's campaign; with counts (the detail view) also why it is waiting, if it is."""
    try:
        effective_settings: CampaignSettings | None = settings_of(session, campaign)
    except ValueError:
        effective_settings = None
    settings = effective_settings.to_public() if effective_settings else None
    body = {
        "id": campaign.id,
        "name": campaign.name,
        "status": campaign.status,
        "scenario_id": campaign.scenario_id,
        "pause_reason": campaign.pause_reason,
        "settings": settings,
        "overrides": campaign.settings or {},
        "created_at": _iso(campaign.created_at),
        "updated_at": _iso(campaign.updated_at),
        "started_at": _iso(campaign.started_at),
        "finished_at": _iso(campaign.finished_at),
    }
    if with_counts:
        body["effective_window"] = window.effective_window(effective_settings) if effective_settings else None
        body["counts"] = counts(session, campaign.id)
        held = waiting_of(session, campaign, now=now or utc_now())
        body.update(held.to_dict() if held else waiting.NOT_WAITING)
    return body


def list_campaigns(
    session: Session,
    *,
    application_id: str | None,
    status: str | None,
    limit: int,
    offset: int,
    archived: bool = False,
) -> tuple[list[Campaign], int]:
    """One page of campaigns, newest first, and how many match; `application_id` None: every
    application's (the operator's CLI). Archived campaigns only when `archived`."""
    query = select(Campaign)
    if not archived:
        query = query.where(Campaign.archived_at.is_(None))
    if application_id is not None:
        query = query.where(Campaign.application_id == application_id)
    if status:
        query = query.where(Campaign.status == status)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(Campaign.created_at.desc(), Campaign.id).limit(limit).offset(offset)
    ).all()
    return list(rows), int(total)


def campaign_by_id(session: Session, campaign_id: str) -> Campaign:
    """Any application's campaign (the operator's CLI); CampaignNotFound when there is none."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise CampaignNotFound()
    return campaign


def contact_by_id(session: Session, contact_id: str) -> Contact:
    """Any application's contact (the operator's CLI); ContactNotFound when there is none."""
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise ContactNotFound()
    return contact


def contact_dict(
    contact: Contact, *, campaign_waiting: waiting.Waiting | None = None, now: datetime | None = None
) -> dict[str, Any]:
    """The API's contact; with `campaign_waiting` (its campaign's `waiting_of`, None: dialling)
    also why this contact is waiting, if it is."""
    body = {
        "id": contact.id,
        "campaign_id": contact.campaign_id,
        "phone_number": contact.phone,
        "tags": contact.tags or {},
        "status": contact.status,
        "attempts": contact.attempts,
        "last_outcome": contact.last_outcome,
        "compliance": rules.describe(
            contact.compliance_reason,
            contact.compliance_rule,
            until=contact.next_attempt_at if contact.status in ("pending", "retry_wait") else None,
        ),
        "next_attempt_at": _iso(contact.next_attempt_at)
        if contact.status in ("pending", "retry_wait")
        else None,
        "created_at": _iso(contact.created_at),
        "updated_at": _iso(contact.updated_at),
    }
    if now is not None:
        held = waiting.for_contact(
            status=contact.status,
            next_attempt_at=contact.next_attempt_at,
            campaign=campaign_waiting,
            now=now,
            hold=contact.compliance_reason,
        )
        body.update(held.to_dict() if held else waiting.NOT_WAITING)
    return body


def contact_dicts(
    session: Session, campaign: Campaign, contacts: list[Contact], *, now: datetime | None = None
) -> list[dict[str, Any]]:
    """The API's contacts of one campaign, each with why it waits (`waiting_reason`, `waiting_until`)."""
    moment = now or utc_now()
    held = waiting_of(session, campaign, now=moment)
    return [contact_dict(contact, campaign_waiting=held, now=moment) for contact in contacts]


def attempt_dict(attempt: CallAttempt, base_url: str) -> dict[str, Any]:
    return {
        "id": attempt.id,
        "number": attempt.number,
        "status": attempt.status,
        "outcome": attempt.outcome,
        "sip_code": attempt.sip_code,
        "sip_reason": attempt.sip_reason,
        "hotline": attempt.hotline,
        "claimed_at": _iso(attempt.claimed_at),
        "started_at": _iso(attempt.started_at),
        "answered_at": _iso(attempt.answered_at),
        "ended_at": _iso(attempt.ended_at),
        "duration": round(attempt.duration or 0.0, 3),
        "billable_seconds": attempt.billable_seconds,
        "cost": attempt.cost,
        "keys_pressed": attempt.keys_pressed,
        "opt_out": bool(attempt.opt_out),
        "amd": attempt.amd,
        "end_reason": attempt.end_reason,
        "path": attempt.path or [],
        "error": attempt.error,
        "recording_url": f"{base_url}/api/v1/public-api/recordings/{attempt.id}.wav"
        if attempt.recording_path
        else None,
        "scenario_version": attempt.scenario_version,
    }


def list_contacts(
    session: Session,
    *,
    campaign_id: str,
    status: str | None,
    outcome: str | None,
    phone: str | None,
    limit: int,
    offset: int,
) -> tuple[list[Contact], int]:
    query = select(Contact).where(Contact.campaign_id == campaign_id)
    if status:
        query = query.where(Contact.status == status)
    if outcome:
        query = query.where(Contact.last_outcome == outcome)
    if phone:
        query = query.where(Contact.phone == phone)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Contact.created_at, Contact.id).limit(limit).offset(offset)).all()
    return list(rows), int(total)


def get_contact(
    session: Session, *, application_id: str, contact_id: str, for_update: bool = False
) -> Contact:
    query = select(Contact).where(Contact.id == contact_id, Contact.application_id == application_id)
    if for_update:
        query = query.with_for_update()
    contact = session.scalars(query).first()
    if contact is None:
        raise ContactNotFound()
    return contact


def attempts_of(session: Session, contact_id: str) -> list[CallAttempt]:
    return list(
        session.scalars(
            select(CallAttempt).where(CallAttempt.contact_id == contact_id).order_by(CallAttempt.number)
        )
    )
