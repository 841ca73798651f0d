"""Campaign status transitions, the only code that changes a campaign's status and writes its
`campaign.*` webhook events.

    draft ──start──> running ──pause──> paused ──resume──> running
      │                 │                  │
      └──── stop / cancel (from any open status) ──> completed / cancelled

`stop` completes the campaign: contacts not yet called are cancelled, calls in flight finish.
`cancel` does the same and marks the campaign cancelled. Both are final.

The API, dashboard and CLI call `start`, `pause`, `resume` and `close`; the dialer calls
`pause_for` (a reason from `PauseReason`) and `finish`; a top-up calls `resume_paused_for`. Each
returns the events to append to the outbox in the caller's transaction (`notify.emit_all`).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import cast

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from aicall.accounts.models import Application
from aicall.campaigns.models import DUE_STATUSES, Campaign, CampaignStatus, Contact, ContactStatus
from aicall.campaigns.settings import effective, voicemail_message_problem
from aicall.errors import CampaignNotReady, CampaignStateError
from aicall.events import Event, EventType
from aicall.hotlines import service as hotline_service
from aicall.observability import metrics
from aicall.observability.logging import get_logger
from aicall.scenarios import snapshot, validation
from aicall.scenarios.models import Scenario
from aicall.webhooks import payloads

__all__ = [
    "NO_SCENARIO",
    "CloseReason",
    "PauseReason",
    "ResumeReason",
    "archive",
    "archive_finished",
    "check_ready",
    "close",
    "finish",
    "pause",
    "pause_for",
    "resume",
    "resume_paused_for",
    "start",
    "unregistered_pool",
]

log = get_logger("aicall.campaigns")
_REASON_LIMIT = 500  # characters kept of a pause reason: an error message can be long


class PauseReason(StrEnum):
    """Why a campaign is paused: stored in `campaign.pause_reason`, sent as the event's `reason`.

    Some carry a detail (see `text`): `no_trunk:POOL_SYSTEM`, `cannot_dial: <error>`.
    """

    MANUAL = "manual"  # a person paused it
    INSUFFICIENT_BALANCE = "insufficient_balance"  # a top-up resumes it
    UNKNOWN_POOL = "unknown_pool"  # detail: the pool key no pool has
    NO_TRUNK = "no_trunk"  # detail: the pool key; production mode never dials the simulator
    CANNOT_DIAL = "cannot_dial"  # detail: why the scenario or the settings no longer load

    def text(self, detail: str | None = None) -> str:
        """The stored and sent form: the value, then `:detail` (`: detail` for an error message)."""
        if detail is None:
            return self.value
        separator = ": " if self is PauseReason.CANNOT_DIAL else ":"
        return f"{self.value}{separator}{detail}"[:_REASON_LIMIT]


class ResumeReason(StrEnum):
    """Why the platform resumed a campaign by itself (a person's resume has no reason)."""

    TOPUP = "topup"


class CloseReason(StrEnum):
    """Why a campaign was completed or cancelled."""

    MANUAL = "manual"  # stop / cancel by a person
    END_DATE = "end_date"  # its calling period is over
    ALL_CONTACTS_DONE = "all_contacts_done"  # `complete_when_done`: every contact final for `quiet_period`


def _event(campaign: Campaign, event_type: EventType, now: datetime, reason: str | None = None) -> Event:
    # A reason only where there is one (a person's start or resume has none): no `reason=None`.
    because = {"reason": reason} if reason is not None else {}
    log.info(
        event_type.value.replace(".", " "),
        campaign_id=campaign.id,
        application_id=campaign.application_id,
        **because,
    )
    data = payloads.CampaignEventData(
        campaign_id=campaign.id,
        name=campaign.name,
        status=cast(payloads.CampaignStatusName, campaign.status),
        reason=reason,
        at=now,
    )
    return Event(campaign.application_id, event_type, data.model_dump(mode="json"))


# Why a campaign without a scenario is refused at start, and paused by the dialer if one runs.
NO_SCENARIO = (
    "the campaign has no scenario (nothing to say to the people it calls): "
    "give it an approved (ACTIVE) scenario"
)


def check_ready(session: Session, campaign: Campaign, account_id: str) -> None:
    """Refuse to start a campaign that could not dial, with every reason.

    Raises CampaignNotReady (1406) whose `details` list each reason as `{field, message}`: no
    scenario (`NO_SCENARIO`: with nothing to say, every callee would be rung and hung up on), a
    scenario missing, not approved or not valid, settings that do not validate, a missing pool or
    an advertising campaign on an unregistered one (docs/campaigns.md, "Status").
    """
    reasons: list[dict[str, str]] = []
    call_config = None
    script = None
    if not campaign.scenario_id:
        reasons.append({"field": "scenario_id", "message": NO_SCENARIO})
    else:
        scenario = session.get(Scenario, campaign.scenario_id)
        if scenario is None or scenario.application_id != campaign.application_id:
            reasons.append({"field": "scenario_id", "message": "the scenario does not exist"})
        else:
            call_config = scenario.call_config
            if scenario.published_version is None:
                reasons.append(
                    {
                        "field": "scenario_id",
                        "message": (
                            f"the scenario is {scenario.status}: "
                            "only an approved (ACTIVE) scenario can be dialled"
                        ),
                    }
                )
            else:
                script = snapshot.load_script(session, scenario.id, allow_unapproved=False)
                reasons += [problem.to_dict() for problem in validation.check_script(script)]
    try:
        settings = effective(campaign.settings, call_config)
    except ValueError as exc:
        reasons.append({"field": "settings", "message": str(exc)})
    else:
        if script is not None:  # the approved version is the one dialled
            actions = {action.id: action.type.value for action in script.actions.values()}
            if (problem := voicemail_message_problem(settings, actions)) is not None:
                reasons.append({"field": "settings.voicemail_message_action_id", "message": problem})
        pool = hotline_service.find_pool(
            session=session, account_id=account_id, key=settings.pool_hotline_key
        )
        if pool is None:
            reasons.append(
                {
                    "field": "settings.pool_hotline_key",
                    "message": f"no hotline pool has key {settings.pool_hotline_key!r}",
                }
            )
        elif settings.advertising and not pool.advertising_registered:
            reasons.append({"field": "settings.pool_hotline_key", "message": unregistered_pool(pool.key)})
    if reasons:
        summary = "; ".join(f"{r['field']}: {r['message']}" for r in reasons)
        raise CampaignNotReady(f"The campaign cannot start: {summary}", details=reasons)


def unregistered_pool(key: str) -> str:
    """Why an advertising campaign may not dial from pool `key` (Decree 91/2020/ND-CP: advertising
    calls leave from a registered brand-name number)."""
    return (
        f"the advertising policy needs a pool registered for advertising (brand-name numbers, "
        f"Decree 91/2020/ND-CP); pool {key!r} is not"
    )


def start(session: Session, campaign: Campaign, *, account_id: str, now: datetime) -> list[Event]:
    """Start a draft campaign or resume a paused one; a running one is left as it is (no event).

    Raises CampaignStateError from a closed status, CampaignNotReady when it could not dial.
    """
    if campaign.status == CampaignStatus.RUNNING.value:
        return []
    if campaign.status not in (CampaignStatus.DRAFT.value, CampaignStatus.PAUSED.value):
        raise CampaignStateError(f"A {campaign.status} campaign cannot be started")
    check_ready(session, campaign, account_id)
    resumed = campaign.status == CampaignStatus.PAUSED.value
    campaign.status = CampaignStatus.RUNNING.value
    campaign.pause_reason = None
    campaign.started_at = campaign.started_at or now
    return [_event(campaign, EventType.CAMPAIGN_RESUMED if resumed else EventType.CAMPAIGN_STARTED, now)]


def pause(session: Session, campaign: Campaign, *, now: datetime) -> list[Event]:
    """Pause a running campaign at a person's request (reason `manual`); a paused one: no event.

    Raises CampaignStateError unless it is running or paused.
    """
    return pause_for(session, campaign, PauseReason.MANUAL, now=now)


def pause_for(
    session: Session, campaign: Campaign, reason: PauseReason, *, now: datetime, detail: str | None = None
) -> list[Event]:
    """Pause a running campaign for `reason` (+ `detail`, see PauseReason.text); return its
    `campaign.paused` event. A campaign already paused keeps its first reason (no event).

    Raises CampaignStateError unless it is running or paused.
    """
    if campaign.status == CampaignStatus.PAUSED.value:
        return []
    if campaign.status != CampaignStatus.RUNNING.value:
        raise CampaignStateError(f"A {campaign.status} campaign cannot be paused")
    text = reason.text(detail)
    metrics.CAMPAIGN_PAUSES.labels(reason=reason.value).inc()
    campaign.status = CampaignStatus.PAUSED.value
    campaign.pause_reason = text
    return [_event(campaign, EventType.CAMPAIGN_PAUSED, now, text)]


def resume(session: Session, campaign: Campaign, *, account_id: str, now: datetime) -> list[Event]:
    """Resume a paused campaign (checked as `start` checks it).

    Raises CampaignStateError unless it is paused, CampaignNotReady when it could not dial.
    """
    if campaign.status != CampaignStatus.PAUSED.value:
        raise CampaignStateError(f"A {campaign.status} campaign cannot be resumed")
    return start(session, campaign, account_id=account_id, now=now)


def resume_paused_for(
    session: Session, *, account_id: str, paused_for: PauseReason, because: ResumeReason, now: datetime
) -> list[Event]:
    """Run again every campaign of the account paused for `paused_for` (no detail), e.g. the
    balance after a top-up; return their `campaign.resumed` events with reason `because`.

    Readiness is not checked again: the pause was about this one thing, not the campaign.
    """
    paused = session.scalars(
        select(Campaign)
        .join(Application, Application.id == Campaign.application_id)
        .where(
            Application.account_id == account_id,
            Campaign.status == CampaignStatus.PAUSED.value,
            Campaign.pause_reason == paused_for.value,
        )
        .order_by(Campaign.id)
    ).all()
    events = []
    for campaign in paused:
        campaign.status = CampaignStatus.RUNNING.value
        campaign.pause_reason = None
        events.append(_event(campaign, EventType.CAMPAIGN_RESUMED, now, because.value))
    return events


def close(session: Session, campaign: Campaign, *, status: CampaignStatus, now: datetime) -> list[Event]:
    """Stop (COMPLETED) or cancel (CANCELLED) an open campaign at a person's request.

    Raises CampaignStateError when it is already closed.
    """
    if campaign.status in (CampaignStatus.COMPLETED.value, CampaignStatus.CANCELLED.value):
        raise CampaignStateError(f"The campaign is already {campaign.status}")
    return finish(session, campaign, status=status, now=now, reason=CloseReason.MANUAL)


def archive(session: Session, campaign: Campaign, *, now: datetime) -> None:
    """Archive a closed campaign: hidden from the campaign lists (API, dashboard, CLI; still
    readable by id), and its contacts' tag values (names, amounts: personal data) dropped.
    Statuses, attempts, charges and the ledger stay. Archiving twice does nothing.

    Raises CampaignStateError unless the campaign is completed or cancelled."""
    if campaign.status not in (CampaignStatus.COMPLETED.value, CampaignStatus.CANCELLED.value):
        raise CampaignStateError(f"A {campaign.status} campaign cannot be archived: stop it first")
    if campaign.archived_at is not None:
        return
    campaign.archived_at = now
    session.execute(update(Contact).where(Contact.campaign_id == campaign.id).values(tags={}, updated_at=now))
    log.info("campaign archived", campaign_id=campaign.id)


def archive_finished(session: Session, *, before: datetime, now: datetime, limit: int) -> int:
    """Archive up to `limit` campaigns closed before `before` (housekeeping); return how many."""
    closed = session.scalars(
        select(Campaign)
        .where(
            Campaign.status.in_([CampaignStatus.COMPLETED.value, CampaignStatus.CANCELLED.value]),
            Campaign.archived_at.is_(None),
            Campaign.finished_at < before,
        )
        .order_by(Campaign.finished_at)
        .limit(limit)
    ).all()
    for campaign in closed:
        archive(session, campaign, now=now)
    return len(closed)


def finish(
    session: Session, campaign: Campaign, *, status: CampaignStatus, now: datetime, reason: CloseReason
) -> list[Event]:
    """Close a campaign (COMPLETED or CANCELLED): contacts not yet called are cancelled; calls
    in flight finish. Return its `campaign.completed` / `campaign.cancelled` event."""
    session.execute(
        update(Contact)
        .where(Contact.campaign_id == campaign.id, Contact.status.in_(DUE_STATUSES))
        .values(status=ContactStatus.CANCELLED.value, updated_at=now)
    )
    campaign.status = status.value
    campaign.finished_at = now
    closed = (
        EventType.CAMPAIGN_COMPLETED if status is CampaignStatus.COMPLETED else EventType.CAMPAIGN_CANCELLED
    )
    return [_event(campaign, closed, now, reason.value)]
