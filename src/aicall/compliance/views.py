"""Public API: the account's Do-Not-Call list and its compliance audit log
(Decree 91/2020/ND-CP Art. 13)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from aicall import notify
from aicall.clock import utc_now
from aicall.compliance import audit, dnc
from aicall.compliance.api_models import AuditPage, DncAdded, DncCreate, DncPage, DncRemoved
from aicall.compliance.rules import AuditType, DncSource
from aicall.dialer import do_not_call
from aicall.errors import ValidationFailed
from aicall.phones import PhoneError, normalise
from aicall.web.deps import CurrentApp, StateDep
from aicall.web.envelope import ok
from aicall.web.openapi import Envelope, answers
from aicall.web.params import WHOLE_NUMBER

router = APIRouter(prefix="/api/v1/public-api", tags=["compliance"])

Limit = Annotated[int, Query(ge=1, le=200), WHOLE_NUMBER]
Offset = Annotated[int, Query(ge=0, le=2**63 - 1), WHOLE_NUMBER]


@router.get(
    "/dnc",
    summary="The account's Do-Not-Call list, in number order (search by a number or its first digits)",
    **answers(Envelope[DncPage]),
)
def list_dnc(
    state: StateDep,
    app: CurrentApp,
    phone_number: Annotated[
        str | None, Query(alias="phoneNumber", max_length=32, description="0987654321, or 0987 for a prefix")
    ] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    with state.db.reading() as session:
        rows, total = dnc.search(
            session, account_id=app.account_id, number=phone_number, limit=limit, offset=offset
        )
        return ok({"entries": [dnc.entry_dict(row) for row in rows], "total_count": total})


@router.post(
    "/dnc",
    summary="Put numbers on the Do-Not-Call list; contacts waiting with them are stopped",
    description="Every number must be valid, or nothing is listed (the error names each bad one). "
    "A number already listed keeps its first entry. Contacts of any campaign of the account that "
    "wait to be called with a listed number finish as `do_not_call` (a `contact.finished` webhook, "
    "no charge).",
    **answers(Envelope[DncAdded]),
)
def add_dnc(state: StateDep, app: CurrentApp, body: DncCreate) -> dict[str, Any]:
    phones = dnc.normalise_all(body.phone_numbers, region=state.settings.default_region)
    with state.db.transaction() as session:
        listing = do_not_call.add(
            session,
            account_id=app.account_id,
            phones=phones,
            source=DncSource(body.source),
            reason=body.reason,
            now=utc_now(),
        )
        notify.emit_all(session, listing.events)
        return ok(listing.to_dict())


@router.delete(
    "/dnc/{phone_number}",
    summary="Take a number off the Do-Not-Call list (contacts already stopped stay stopped)",
    **answers(Envelope[DncRemoved], 404),
)
def remove_dnc(state: StateDep, app: CurrentApp, phone_number: str) -> dict[str, Any]:
    phone = _number(phone_number, state.settings.default_region)
    with state.db.transaction() as session:
        if not dnc.remove(session, account_id=app.account_id, phone=phone):
            raise dnc.NotListed()
        return ok({"phone_number": phone, "removed": True})


@router.get(
    "/audit",
    summary="What the calling rules did: refused, stopped, held back and opted-out contacts, list changes",
    **answers(Envelope[AuditPage]),
)
def list_audit(
    state: StateDep,
    app: CurrentApp,
    type: Annotated[AuditType | None, Query(description="one kind of entry")] = None,
    phone_number: Annotated[str | None, Query(alias="phoneNumber", max_length=32)] = None,
    campaign_id: Annotated[str | None, Query(alias="campaignId", max_length=64)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    phone = _number(phone_number, state.settings.default_region) if phone_number else None
    with state.db.reading() as session:
        rows, total = audit.list_entries(
            session,
            account_id=app.account_id,
            type=type,
            phone=phone,
            campaign_id=campaign_id,
            limit=limit,
            offset=offset,
        )
        return ok({"entries": [audit.entry_dict(row) for row in rows], "total_count": total})


def _number(raw: str, region: str) -> str:
    try:
        return normalise(raw, region)
    except PhoneError as exc:
        raise ValidationFailed(str(exc), field="phone_number") from exc
