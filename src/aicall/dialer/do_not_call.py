"""Listing numbers on an account's Do-Not-Call list, and what that does to contacts waiting.

Two owners meet here, so the flow stands above both: `compliance.dnc` writes the entries,
the result store (`dialer.results.stop_listed`) finishes the contacts waiting with those
numbers (Decree 91/2020/ND-CP Art. 13 cl. 1: a listed number is never called). One
transaction: a number is never listed with its contacts still due, nor the other way round.
The API, the CLI and the dashboard call `add`; they append the returned events to the outbox.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from aicall.compliance import dnc
from aicall.compliance.rules import DncSource
from aicall.dialer import results
from aicall.events import Event

__all__ = ["Listing", "add"]

# Past this many numbers the contacts to stop are found by a join with the whole list, not by
# the numbers themselves (a million-number IN list is no query).
_BY_NUMBER = 1000


@dataclass
class Listing:
    added: int
    already_listed: int
    events: list[Event] = field(default_factory=list)

    @property
    def stopped_contacts(self) -> int:
        return len(self.events)

    def to_dict(self) -> dict[str, int]:
        return {
            "added": self.added,
            "already_listed": self.already_listed,
            "stopped_contacts": self.stopped_contacts,
        }


def add(
    session: Session,
    *,
    account_id: str,
    phones: Sequence[str],
    source: DncSource,
    now: datetime,
    reason: str | None = None,
) -> Listing:
    """List normalised `phones` and stop the account's waiting contacts with them; return the
    counts and the `contact.finished` events for the caller's transaction."""
    added = dnc.add(session, account_id=account_id, phones=phones, source=source, reason=reason, now=now)
    stopped = results.stop_listed(
        session, account_id=account_id, now=now, phones=phones if len(phones) <= _BY_NUMBER else None
    )
    return Listing(added=added.added, already_listed=added.already_listed, events=stopped)
