"""The claim's question to compliance, asked for each batch of contacts about to be dialled.

Decree 91/2020/ND-CP Art. 13 cl. 1: a number on the account's Do-Not-Call list is never
called, whatever campaign holds it. The dialer's claim asks here after it has read and locked
its contacts and before it creates their attempts, in the same transaction: a number listed
one second before its call is still not dialled.

`screen_claim` is the real gate; the dialer takes it as a parameter, so a test can list a
number between the claim's read and its check, and a benchmark can measure the claim without
it.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session

from aicall.compliance import dnc

__all__ = ["ClaimGate", "Screen", "no_gate", "screen_claim"]


@dataclass(frozen=True, slots=True)
class Screen:
    """What the rules say of a batch: numbers never to dial, numbers to hold until a time."""

    listed: frozenset[str] = frozenset()
    held: dict[str, datetime] = field(default_factory=dict)


class ClaimGate(Protocol):
    def __call__(
        self, session: Session, *, account_id: str, campaign_id: str, phones: Collection[str], now: datetime
    ) -> Screen: ...


def screen_claim(
    session: Session, *, account_id: str, campaign_id: str, phones: Collection[str], now: datetime
) -> Screen:
    """The batch's numbers on the account's Do-Not-Call list (primary-key look-ups)."""
    if not phones:
        return Screen()
    return Screen(listed=frozenset(dnc.listed(session, account_id=account_id, phones=phones)))


def no_gate(
    session: Session, *, account_id: str, campaign_id: str, phones: Collection[str], now: datetime
) -> Screen:
    """Nothing refused or held: the engine benchmark's baseline, never production."""
    return Screen()
