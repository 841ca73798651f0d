"""Campaigns as an account's people see them (the dashboard): every application of the account.

The public API scopes by application (CONTRACT §1: a token names one application); a dashboard
user belongs to an account and sees all of its applications' campaigns. A campaign of another
account is reported exactly as a missing one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aicall.accounts.models import Application
from aicall.calls.models import AttemptStatus, CallAttempt
from aicall.campaigns.models import DUE_STATUSES, FINAL_CONTACT_STATUSES, Campaign, Contact, ContactStatus
from aicall.hotlines import service as hotline_service
from aicall.scenarios.models import Scenario

__all__ = [
    "CampaignRow",
    "Choice",
    "PauseInfo",
    "Queue",
    "Summary",
    "applications_of_account",
    "campaign_of_account",
    "dialable_scenarios",
    "field_names",
    "list_for_account",
    "pause_info",
    "pool_keys",
    "queue",
    "summary",
]

# The final statuses are the model's own (StrEnum members compare equal to their text).
_FINISHED = tuple(status.value for status in FINAL_CONTACT_STATUSES)


@dataclass(frozen=True, slots=True)
class PauseInfo:
    """A stored pause reason (`lifecycle.PauseReason.text`) read back: `no_trunk:POOL` ->
    kind `no_trunk`, detail `POOL`. A reason this code does not know has kind `other`."""

    kind: str
    detail: str | None


_PAUSE_KINDS = frozenset({"manual", "insufficient_balance", "unknown_pool", "no_trunk", "cannot_dial"})


def pause_info(reason: str | None) -> PauseInfo | None:
    """The kind and detail of a pause reason, for saying it in words (None when not paused)."""
    if not reason:
        return None
    kind, _, detail = reason.partition(":")
    if kind not in _PAUSE_KINDS:
        return PauseInfo("other", reason)
    return PauseInfo(kind, detail.strip() or None)


@dataclass(frozen=True, slots=True)
class CampaignRow:
    """One line of the campaigns list: progress is `finished` of `contacts`."""

    id: str
    name: str
    status: str
    pause_reason: str | None
    application_id: str
    application_name: str
    contacts: int
    finished: int
    reached: int
    created_at: datetime

    @property
    def progress(self) -> float | None:
        """Share of contacts in a final status, 0..1 (None for an empty campaign)."""
        return self.finished / self.contacts if self.contacts else None

    @property
    def answer_rate(self) -> float | None:
        """Share of finished contacts that were reached (status done), 0..1."""
        return self.reached / self.finished if self.finished else None

    @property
    def pause(self) -> PauseInfo | None:
        return pause_info(self.pause_reason)


def campaign_of_account(
    session: Session, *, account_id: str, campaign_id: str, for_update: bool = False
) -> Campaign | None:
    """The campaign if it belongs to one of the account's applications, else None; `for_update`
    locks its row, as the API does before a change."""
    query = (
        select(Campaign)
        .join(Application, Application.id == Campaign.application_id)
        .where(Campaign.id == campaign_id, Application.account_id == account_id)
    )
    if for_update:
        query = query.with_for_update(of=Campaign)
    return session.scalars(query).first()


def list_for_account(session: Session, *, account_id: str, limit: int = 200) -> list[CampaignRow]:
    """The account's campaigns, newest first, with contact counts (one grouped query)."""
    campaigns = session.execute(
        select(Campaign, Application.name)
        .join(Application, Application.id == Campaign.application_id)
        .where(Application.account_id == account_id, Campaign.archived_at.is_(None))
        .order_by(Campaign.created_at.desc(), Campaign.id)
        .limit(limit)
    ).all()
    ids = [campaign.id for campaign, _ in campaigns]
    totals: dict[str, dict[str, int]] = {}
    if ids:
        for campaign_id, status, count in session.execute(
            select(Contact.campaign_id, Contact.status, func.count())
            .where(Contact.campaign_id.in_(ids))
            .group_by(Contact.campaign_id, Contact.status)
        ):
            totals.setdefault(campaign_id, {})[status] = int(count)
    rows = []
    for campaign, app_name in campaigns:
        by_status = totals.get(campaign.id, {})
        rows.append(
            CampaignRow(
                id=campaign.id,
                name=campaign.name,
                status=campaign.status,
                pause_reason=campaign.pause_reason,
                application_id=campaign.application_id,
                application_name=app_name,
                contacts=sum(by_status.values()),
                finished=sum(by_status.get(s, 0) for s in _FINISHED),
                reached=by_status.get(ContactStatus.DONE.value, 0),
                created_at=campaign.created_at,
            )
        )
    return rows


@dataclass(frozen=True, slots=True)
class Summary:
    """A campaign's live figures: contacts by status, attempts by outcome, money in whole đồng."""

    by_status: dict[str, int] = field(default_factory=dict)
    by_outcome: dict[str, int] = field(default_factory=dict)
    in_progress: int = 0  # calls dialled and not yet finished
    cost: int = 0  # đồng charged so far for the campaign's calls

    @property
    def contacts(self) -> int:
        return sum(self.by_status.values())

    @property
    def finished(self) -> int:
        return sum(self.by_status.get(s, 0) for s in _FINISHED)

    @property
    def attempts(self) -> int:
        return sum(self.by_outcome.values())

    @property
    def answer_rate(self) -> float | None:
        """Share of finished contacts that were reached (status done), 0..1; as the list shows."""
        return self.by_status.get(ContactStatus.DONE.value, 0) / self.finished if self.finished else None

    @property
    def attempt_answer_rate(self) -> float | None:
        """Share of finished calls that were answered, 0..1."""
        return self.by_outcome.get("answered", 0) / self.attempts if self.attempts else None


def summary(session: Session, *, campaign_id: str) -> Summary:
    """Counts and cost of one campaign: three grouped queries on indexed columns."""
    by_status = {
        status: int(count)
        for status, count in session.execute(
            select(Contact.status, func.count())
            .where(Contact.campaign_id == campaign_id)
            .group_by(Contact.status)
        )
    }
    by_outcome: dict[str, int] = {}
    in_progress = 0
    cost = 0
    for status, outcome, count, charged in session.execute(
        select(
            CallAttempt.status,
            CallAttempt.outcome,
            func.count(),
            func.coalesce(func.sum(CallAttempt.cost), 0),
        )
        .where(CallAttempt.campaign_id == campaign_id)
        .group_by(CallAttempt.status, CallAttempt.outcome)
    ):
        cost += int(charged)
        if status == AttemptStatus.IN_PROGRESS.value:
            in_progress += int(count)
        elif outcome is not None:
            by_outcome[outcome] = by_outcome.get(outcome, 0) + int(count)
    return Summary(by_status=by_status, by_outcome=by_outcome, in_progress=in_progress, cost=cost)


@dataclass(frozen=True, slots=True)
class Queue:
    """Contacts still to call: due now, and due later (retries), the first of those at `first_later`."""

    due_now: int
    later: int
    first_later: datetime | None


def queue(session: Session, *, campaign_id: str, now: datetime) -> Queue:
    """How many contacts wait to be dialled now and later: one query on the dialer's partial
    index of contacts still to call."""
    is_due = Contact.next_attempt_at <= now
    due_now, later, first_later = session.execute(
        select(
            func.count().filter(is_due),
            func.count().filter(~is_due),
            func.min(Contact.next_attempt_at).filter(~is_due),
        ).where(Contact.campaign_id == campaign_id, Contact.status.in_(DUE_STATUSES))
    ).one()
    return Queue(int(due_now or 0), int(later or 0), first_later)


@dataclass(frozen=True, slots=True)
class Choice:
    """One option of a select in a form: its value and what the person reads."""

    value: str
    label: str
    group: str | None = None  # e.g. the application a scenario belongs to


def applications_of_account(session: Session, *, account_id: str) -> list[Choice]:
    """The account's applications, by name."""
    return [
        Choice(app_id, name)
        for app_id, name in session.execute(
            select(Application.id, Application.name)
            .where(Application.account_id == account_id)
            .order_by(Application.name, Application.id)
        )
    ]


def dialable_scenarios(session: Session, *, account_id: str) -> list[Choice]:
    """The account's scenarios that have an approved version (only those can be dialled), with
    their application as the group."""
    return [
        Choice(scenario_id, name, app_name)
        for scenario_id, name, app_name in session.execute(
            select(Scenario.id, Scenario.name, Application.name)
            .join(Application, Application.id == Scenario.application_id)
            .where(Application.account_id == account_id, Scenario.published_version.is_not(None))
            .order_by(Application.name, Scenario.name, Scenario.id)
        )
    ]


def pool_keys(session: Session, *, account_id: str) -> list[str]:
    """Keys of the hotline pools the account may dial through (its own and the shared ones)."""
    return sorted(
        {pool.key for pool in hotline_service.visible_pools(session=session, account_id=account_id)}
    )


def field_names(session: Session, *, scenario_id: str | None) -> dict[str, str]:
    """The scenario's personalised fields as {tag key: name as written}: `ho_ten` -> `Họ tên`."""
    scenario = session.get(Scenario, scenario_id) if scenario_id else None
    if scenario is None:
        return {}
    return {
        str(f["key"]): str(f.get("name") or f["key"])
        for f in scenario.personalized_fields or []
        if isinstance(f, dict) and f.get("key")
    }
