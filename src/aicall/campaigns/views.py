"""Public API: campaigns and their contacts (CONTRACT §2 and §4)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from aicall.campaigns import service as campaign_service
from aicall.idempotency import service as idempotency
from aicall.web.deps import CurrentApp, JsonBody, StateDep

router = APIRouter(prefix="/api/v1/public-api", tags=["campaigns"])


@router.post("/campaign", summary="Add contacts to a campaign (AICall-compatible)")
async def add_contacts(
    state: StateDep,
    app: CurrentApp,
    payload: JsonBody,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> JSONResponse:
    key = idempotency.check_key(idempotency_key)
    status_code, body = await run_in_threadpool(
        campaign_service.add_contacts,
        db=state.db,
        application_id=app.application_id,
        payload=payload,
        idempotency_key=key,
        max_contacts=state.settings.max_contacts_per_request,
        region=state.settings.default_region,
    )
    return JSONResponse(body, status_code=status_code)
