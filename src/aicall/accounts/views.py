"""Public API: the caller's account balance and its ledger."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from aicall.accounts import ledger
from aicall.accounts.api_models import BalanceRead, LedgerPage
from aicall.web.deps import CurrentApp, StateDep
from aicall.web.envelope import ok
from aicall.web.openapi import MAX_OFFSET, Envelope, answers
from aicall.web.params import WHOLE_NUMBER

router = APIRouter(prefix="/api/v1/public-api", tags=["balance"])


@router.get(
    "/balance",
    summary="Prepaid balance, amount held for calls in flight, and price",
    **answers(Envelope[BalanceRead]),
)
def get_balance(state: StateDep, app: CurrentApp) -> dict[str, Any]:
    with state.db.reading() as session:
        return ok(ledger.summary(session=session, account_id=app.account_id))


@router.get("/balance/ledger", summary="Balance movements, newest first", **answers(Envelope[LedgerPage]))
def get_ledger(
    state: StateDep,
    app: CurrentApp,
    limit: Annotated[int, Query(ge=1, le=200), WHOLE_NUMBER] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET), WHOLE_NUMBER] = 0,
) -> dict[str, Any]:
    with state.db.reading() as session:
        rows = ledger.entries(session=session, account_id=app.account_id, limit=limit, offset=offset)
        return ok(
            {
                "entries": [
                    {
                        "id": e.id,
                        "kind": e.kind,
                        "amount": e.amount,
                        "balance_after": e.balance_after,
                        "attempt_id": e.attempt_id,
                        "note": e.note,
                        "created_at": e.created_at.isoformat(),
                    }
                    for e in rows
                ]
            }
        )
