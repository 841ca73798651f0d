"""The audit log: one row for each thing the rules did, per account, newest first.

Every contact refused at import, stopped, skipped at the claim, held back or opted out has an
entry naming its reason and rule; so has every change to the Do-Not-Call list and every
campaign start the policy refused. Entries are appended in the transaction of the change they
record, so the log never says something happened that did not (or misses what did).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from aicall.clock import utc_now
from aicall.compliance.models import AuditEntry
from aicall.compliance.rules import AuditType, Rule
from aicall.ids import object_id

__all__ = ["Action", "Entry", "citation", "entry_dict", "list_entries", "record"]


class Action(StrEnum):
    """What the platform did."""

    REJECTED_AT_IMPORT = "rejected_at_import"  # the contact was not stored
    STOPPED = "stopped"  # a waiting contact was finished without a call
    SKIPPED_AT_CLAIM = "skipped_at_claim"  # the claim about to dial it found the number listed
    LISTED = "listed"  # the callee's refusal put the number on the list
    HELD = "held"  # the contact waits until `until`
    ADDED = "added"  # numbers put on the list
    REMOVED = "removed"  # a number taken off the list
    REFUSED = "refused"  # a campaign start


@dataclass(frozen=True, slots=True)
class Entry:
    """One audit row, before it is written."""

    type: AuditType
    action: Action
    rule: Rule | None = None
    phone: str | None = None
    campaign_id: str | None = None
    contact_id: str | None = None
    until: datetime | None = None
    detail: str | None = None


def record(
    session: Session, *, account_id: str, entries: Sequence[Entry], now: datetime | None = None
) -> None:
    """Append `entries` for the account in the caller's transaction (one multi-row INSERT)."""
    if not entries:
        return
    at = now or utc_now()
    rows: list[dict[str, Any]] = [
        {
            "id": object_id(),
            "account_id": account_id,
            "type": entry.type.value,
            "action": entry.action.value,
            "rule": entry.rule.value if entry.rule else None,
            "phone": entry.phone,
            "campaign_id": entry.campaign_id,
            "contact_id": entry.contact_id,
            "until": entry.until,
            "detail": entry.detail[:2000] if entry.detail else None,
            "created_at": at,
        }
        for entry in entries
    ]
    session.execute(insert(AuditEntry), rows)


def list_entries(
    session: Session,
    *,
    account_id: str,
    type: AuditType | None = None,
    phone: str | None = None,
    campaign_id: str | None = None,
    limit: int,
    offset: int,
) -> tuple[list[AuditEntry], int]:
    """One page of the account's entries, newest first, and how many match."""
    query = select(AuditEntry).where(AuditEntry.account_id == account_id)
    if type is not None:
        query = query.where(AuditEntry.type == type.value)
    if phone is not None:
        query = query.where(AuditEntry.phone == phone)
    if campaign_id is not None:
        query = query.where(AuditEntry.campaign_id == campaign_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc()).limit(limit).offset(offset)
    ).all()
    return list(rows), int(total)


def entry_dict(entry: AuditEntry) -> dict[str, Any]:
    """The API's audit entry, with the rule's citation."""
    return {
        "id": entry.id,
        "type": entry.type,
        "action": entry.action,
        "rule": entry.rule,
        "citation": citation(entry.rule),
        "phone_number": entry.phone,
        "campaign_id": entry.campaign_id,
        "contact_id": entry.contact_id,
        "until": entry.until.isoformat() if entry.until else None,
        "detail": entry.detail,
        "created_at": entry.created_at.isoformat(),
    }


def citation(rule: str | None) -> str | None:
    """Where a stored rule comes from; None for no rule (or one this version does not know)."""
    try:
        return Rule(rule).citation if rule else None
    except ValueError:
        return None
