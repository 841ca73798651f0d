"""Balance work that reaches into campaigns: a top-up resumes what a lack of balance paused."""

from __future__ import annotations

from sqlalchemy.orm import Session

from aicall import notify
from aicall.accounts import ledger
from aicall.campaigns import lifecycle
from aicall.clock import utc_now


def topup(*, session: Session, account_id: str, amount: int, note: str | None = None) -> int:
    """Add credit; campaigns paused for insufficient balance run again. Return the balance."""
    balance = ledger.topup(session=session, account_id=account_id, amount=amount, note=note)
    notify.emit_all(
        session,
        lifecycle.resume_paused_for(
            session,
            account_id=account_id,
            paused_for=lifecycle.PauseReason.INSUFFICIENT_BALANCE,
            because=lifecycle.ResumeReason.TOPUP,
            now=utc_now(),
        ),
    )
    return balance
