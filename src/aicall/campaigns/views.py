"""Public API: campaigns and their contacts (CONTRACT §2 and §4)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from aicall.campaigns import column_mapping, export, file_import, queries
from aicall.campaigns import service as campaign_service
from aicall.campaigns.models import CampaignStatus, ContactStatus
from aicall.campaigns.schemas import CampaignCreate, CampaignUpdate
from aicall.idempotency import service as idempotency
from aicall.web.deps import CurrentApp, JsonBody, StateDep
from aicall.web.envelope import ok
from aicall.web.uploads import read_upload

router = APIRouter(prefix="/api/v1/public-api", tags=["campaigns"])

Limit = Annotated[int, Query(ge=1, le=200)]
Offset = Annotated[int, Query(ge=0)]


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


@router.post("/campaigns", summary="Create a campaign")
def create_campaign(state: StateDep, app: CurrentApp, body: CampaignCreate) -> dict[str, Any]:
    with state.db.transaction() as session:
        campaign = campaign_service.create_from_api(
            session=session,
            application_id=app.application_id,
            account_id=app.account_id,
            name=body.name,
            scenario_id=body.scenario_id,
            settings=body.settings,
            start=body.start,
        )
        return ok(queries.campaign_dict(session, campaign))


@router.get("/campaigns", summary="List campaigns")
def list_campaigns(
    state: StateDep,
    app: CurrentApp,
    status: Annotated[CampaignStatus | None, Query()] = None,
    limit: Limit = 20,
    offset: Offset = 0,
) -> dict[str, Any]:
    with state.db.reading() as session:
        rows, total = queries.list_campaigns(
            session,
            application_id=app.application_id,
            status=status.value if status else None,
            limit=limit,
            offset=offset,
        )
        return ok(
            {
                "campaigns": [queries.campaign_dict(session, c, with_counts=False) for c in rows],
                "total_count": total,
            }
        )


@router.get("/campaigns/{campaign_id}", summary="A campaign with live counts")
def get_campaign(state: StateDep, app: CurrentApp, campaign_id: str) -> dict[str, Any]:
    with state.db.reading() as session:
        campaign = queries.get_campaign(session, application_id=app.application_id, campaign_id=campaign_id)
        return ok(queries.campaign_dict(session, campaign))


@router.put("/campaigns/{campaign_id}", summary="Update a campaign's name, scenario or settings")
def update_campaign(
    state: StateDep, app: CurrentApp, campaign_id: str, body: CampaignUpdate
) -> dict[str, Any]:
    with state.db.transaction() as session:
        campaign = queries.get_campaign(
            session, application_id=app.application_id, campaign_id=campaign_id, for_update=True
        )
        campaign_service.update_from_api(
            session=session,
            campaign=campaign,
            name=body.name,
            scenario_id=body.scenario_id,
            settings=body.settings,
        )
        return ok(queries.campaign_dict(session, campaign))


def _transition(state: StateDep, app: CurrentApp, campaign_id: str, action: str) -> dict[str, Any]:
    with state.db.transaction() as session:
        campaign = queries.get_campaign(
            session, application_id=app.application_id, campaign_id=campaign_id, for_update=True
        )
        campaign_service.transition(
            session=session, campaign=campaign, account_id=app.account_id, action=action
        )
        return ok(queries.campaign_dict(session, campaign))


@router.post("/campaigns/{campaign_id}/start", summary="Start calling")
def start_campaign(state: StateDep, app: CurrentApp, campaign_id: str) -> dict[str, Any]:
    return _transition(state, app, campaign_id, "start")


@router.post("/campaigns/{campaign_id}/pause", summary="Pause calling (calls in flight finish)")
def pause_campaign(state: StateDep, app: CurrentApp, campaign_id: str) -> dict[str, Any]:
    return _transition(state, app, campaign_id, "pause")


@router.post("/campaigns/{campaign_id}/resume", summary="Resume a paused campaign")
def resume_campaign(state: StateDep, app: CurrentApp, campaign_id: str) -> dict[str, Any]:
    return _transition(state, app, campaign_id, "resume")


@router.post(
    "/campaigns/{campaign_id}/stop", summary="Complete the campaign; contacts not yet called are cancelled"
)
def stop_campaign(state: StateDep, app: CurrentApp, campaign_id: str) -> dict[str, Any]:
    return _transition(state, app, campaign_id, "stop")


@router.post(
    "/campaigns/{campaign_id}/cancel", summary="Cancel the campaign; contacts not yet called are cancelled"
)
def cancel_campaign(state: StateDep, app: CurrentApp, campaign_id: str) -> dict[str, Any]:
    return _transition(state, app, campaign_id, "cancel")


@router.get("/campaigns/{campaign_id}/contacts", summary="A campaign's contacts, filtered and paged")
def list_contacts(
    state: StateDep,
    app: CurrentApp,
    campaign_id: str,
    status: Annotated[ContactStatus | None, Query()] = None,
    outcome: Annotated[str | None, Query(description="last outcome, e.g. busy")] = None,
    phone_number: Annotated[str | None, Query(alias="phoneNumber")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    with state.db.reading() as session:
        queries.get_campaign(session, application_id=app.application_id, campaign_id=campaign_id)
        rows, total = queries.list_contacts(
            session,
            campaign_id=campaign_id,
            status=status.value if status else None,
            outcome=outcome,
            phone=phone_number,
            limit=limit,
            offset=offset,
        )
        return ok({"contacts": [queries.contact_dict(c) for c in rows], "total_count": total})


@router.post(
    "/campaigns/{campaign_id}/contacts/import",
    summary="Import contacts from a CSV or XLSX file (multipart field `file`, optional `mapping`)",
)
async def import_contacts_file(
    state: StateDep,
    app: CurrentApp,
    campaign_id: str,
    request: Request,
    dry_run: Annotated[bool, Query(alias="dryRun", description="check every row, store nothing")] = False,
) -> dict[str, Any]:
    limits = file_import.Limits.from_settings(state.settings)
    async with read_upload(request, field="file", limit=limits.max_bytes) as upload:
        mapping = column_mapping.parse_mapping(upload.fields.get("mapping"))
        report = await run_in_threadpool(
            file_import.import_file,
            db=state.db,
            application_id=app.application_id,
            campaign_id=campaign_id,
            source=upload.file,
            limits=limits,
            filename=upload.filename,
            mapping=mapping,
            dry_run=dry_run,
            collect_contacts=True,
        )
    # As add-contacts: the stored contacts in `result`, refused rows (by row number) in `rejected`.
    body = ok(report.summary() if dry_run else report.contacts, summary=report.summary())
    if report.rejected:
        body["rejected"] = report.rejected_rows()
    return body


@router.get(
    "/campaigns/{campaign_id}/contacts/export",
    summary="Download the campaign's contacts and call results (streamed CSV or XLSX)",
)
def export_contacts(
    state: StateDep,
    app: CurrentApp,
    campaign_id: str,
    format: Annotated[str, Query(description="csv or xlsx")] = "csv",
) -> StreamingResponse:
    download = export.open_export(
        db=state.db, application_id=app.application_id, campaign_id=campaign_id, format=format
    )
    return StreamingResponse(
        download.chunks,
        media_type=download.media_type,
        headers={"Content-Disposition": f'attachment; filename="{download.filename}"'},
    )


@router.get("/contacts/{contact_id}", summary="A contact with its call attempts")
def get_contact(state: StateDep, app: CurrentApp, contact_id: str) -> dict[str, Any]:
    with state.db.reading() as session:
        contact = queries.get_contact(session, application_id=app.application_id, contact_id=contact_id)
        body = queries.contact_dict(contact)
        body["call_attempts"] = [
            queries.attempt_dict(a, state.settings.base_url) for a in queries.attempts_of(session, contact.id)
        ]
        return ok(body)


@router.post("/contacts/{contact_id}/cancel", summary="Cancel a contact (no further calls)")
def cancel_contact(state: StateDep, app: CurrentApp, contact_id: str) -> dict[str, Any]:
    with state.db.transaction() as session:
        return ok(
            campaign_service.cancel_contact(
                session=session, application_id=app.application_id, contact_id=contact_id
            )
        )
