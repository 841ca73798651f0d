"""Public API: campaigns and their contacts (CONTRACT §2 and §4)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic.alias_generators import to_camel
from starlette.concurrency import run_in_threadpool

from aicall.calls.outcomes import CallOutcome
from aicall.campaigns import column_mapping, export, file_import, queries
from aicall.campaigns import service as campaign_service
from aicall.campaigns.api_models import (
    CampaignChange,
    CampaignIn,
    CampaignPage,
    CampaignRead,
    ContactDetail,
    ContactPage,
    ContactRead,
    ContactsAdd,
    ContactsAdded,
    ImportReport,
)
from aicall.campaigns.models import CampaignStatus, ContactStatus
from aicall.campaigns.schemas import CampaignCreate, CampaignUpdate
from aicall.errors import ValidationFailed
from aicall.idempotency import service as idempotency
from aicall.phones import PhoneError, normalise
from aicall.web.deps import CurrentApp, JsonBody, StateDep
from aicall.web.envelope import ok
from aicall.web.openapi import IDEMPOTENCY_KEY, MAX_OFFSET, Envelope, answers, body
from aicall.web.params import WHOLE_NUMBER
from aicall.web.uploads import read_upload

router = APIRouter(prefix="/api/v1/public-api", tags=["campaigns"])

ADD_EXAMPLE = {
    "campaign_id": "65252610c41c5b7fbb84e6d4",
    "contacts": [{"phone_number": "0987654321", "danh_xung": "Anh", "ho_ten": "David Thiêm"}],
}
ADDED_EXAMPLE = {
    "status": 1,
    "result": [
        {
            "contact_id": "f95c4831-bc9d-4626-8713-a0a161cee01e",
            "danh_xung": "Anh",
            "ho_ten": "David Thiêm",
            "so_dien_thoai": "+84987654321",
        }
    ],
}

# The multipart body of a file import, for the document (the route reads the stream itself).
UPLOAD_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {
                    "file": {"type": "string", "format": "binary", "description": "a .csv or .xlsx file"},
                    "mapping": {
                        "type": "string",
                        "description": 'JSON: which column is which field, e.g. {"SĐT": "phone_number"}',
                    },
                },
            }
        }
    },
}
EXPORT_CONTENT = {
    "text/csv": {"schema": {"type": "string"}},
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
        "schema": {"type": "string", "format": "binary"}
    },
}

Limit = Annotated[int, Query(ge=1, le=200), WHOLE_NUMBER]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET), WHOLE_NUMBER]


@router.post(
    "/campaign",
    summary="Add contacts to a campaign (AICall-compatible)",
    description="Contacts with an invalid number (or a duplicate) are not added: they are listed in "
    "`rejected`, by index, and the others are added. Not one valid: 1403. Safe to retry with an "
    "`Idempotency-Key`.",
    **answers(ContactsAdded, 404, 409, example=ADDED_EXAMPLE),
    **body(ContactsAdd, examples={"AICall sample": ADD_EXAMPLE}, parameters=[IDEMPOTENCY_KEY]),
)
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


# CampaignCreate and CampaignUpdate take `settings` as a dict that campaigns.settings validates
# field by field; the document shows CampaignIn and CampaignChange, with the settings typed.
@router.post(
    "/campaigns",
    summary="Create a campaign",
    **answers(Envelope[CampaignRead]),
    **body(
        CampaignIn,
        examples={
            "office hours, weekdays": {
                "name": "Nhắc nợ tháng 2",
                "scenarioId": "65252610c41c5b7fbb84e6d3",
                "settings": {
                    "days": ["mon", "tue", "wed", "thu", "fri"],
                    "hours": [{"start": "08:00", "end": "20:00"}],
                },
            }
        },
    ),
)
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


@router.get("/campaigns", summary="List campaigns, newest first", **answers(Envelope[CampaignPage]))
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


@router.get(
    "/campaigns/{campaign_id}", summary="A campaign with live counts", **answers(Envelope[CampaignRead], 404)
)
def get_campaign(state: StateDep, app: CurrentApp, campaign_id: str) -> dict[str, Any]:
    with state.db.reading() as session:
        campaign = queries.get_campaign(session, application_id=app.application_id, campaign_id=campaign_id)
        return ok(queries.campaign_dict(session, campaign))


@router.put(
    "/campaigns/{campaign_id}",
    summary="Update a campaign's name, scenario or settings",
    **answers(Envelope[CampaignRead], 404, 409),
    **body(CampaignChange, examples={"ten calls at once": {"settings": {"max_concurrent": 10}}}),
)
def update_campaign(
    state: StateDep, app: CurrentApp, campaign_id: str, body: CampaignUpdate
) -> dict[str, Any]:
    _refuse_nulls(body)
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


def _refuse_nulls(body: CampaignUpdate) -> None:
    """A field sent as `null` is refused: none of them can be cleared (a campaign keeps a name,
    its settings, and a scenario once it has one), and `{"scenarioId": null}` answered 200 with
    the scenario kept, as if it had been removed."""
    for name in ("name", "scenario_id", "settings"):
        if name in body.model_fields_set and getattr(body, name) is None:
            field = to_camel(name)
            raise ValidationFailed(f"cannot be null: leave {field} out to keep its value", field=field)


def _transition(state: StateDep, app: CurrentApp, campaign_id: str, action: str) -> dict[str, Any]:
    with state.db.transaction() as session:
        campaign = queries.get_campaign(
            session, application_id=app.application_id, campaign_id=campaign_id, for_update=True
        )
        campaign_service.transition(
            session=session, campaign=campaign, account_id=app.account_id, action=action
        )
        return ok(queries.campaign_dict(session, campaign))


@router.post(
    "/campaigns/{campaign_id}/start", summary="Start calling", **answers(Envelope[CampaignRead], 404, 409)
)
def start_campaign(state: StateDep, app: CurrentApp, campaign_id: str) -> dict[str, Any]:
    return _transition(state, app, campaign_id, "start")


@router.post(
    "/campaigns/{campaign_id}/pause",
    summary="Pause calling (calls in flight finish)",
    **answers(Envelope[CampaignRead], 404, 409),
)
def pause_campaign(state: StateDep, app: CurrentApp, campaign_id: str) -> dict[str, Any]:
    return _transition(state, app, campaign_id, "pause")


@router.post(
    "/campaigns/{campaign_id}/resume",
    summary="Resume a paused campaign",
    **answers(Envelope[CampaignRead], 404, 409),
)
def resume_campaign(state: StateDep, app: CurrentApp, campaign_id: str) -> dict[str, Any]:
    return _transition(state, app, campaign_id, "resume")


@router.post(
    "/campaigns/{campaign_id}/stop",
    **answers(Envelope[CampaignRead], 404, 409),
    summary="Complete the campaign; contacts not yet called are cancelled",
)
def stop_campaign(state: StateDep, app: CurrentApp, campaign_id: str) -> dict[str, Any]:
    return _transition(state, app, campaign_id, "stop")


@router.post(
    "/campaigns/{campaign_id}/cancel",
    **answers(Envelope[CampaignRead], 404, 409),
    summary="Cancel the campaign; contacts not yet called are cancelled",
)
def cancel_campaign(state: StateDep, app: CurrentApp, campaign_id: str) -> dict[str, Any]:
    return _transition(state, app, campaign_id, "cancel")


@router.get(
    "/campaigns/{campaign_id}/contacts",
    summary="A campaign's contacts, filtered and paged",
    **answers(Envelope[ContactPage], 404),
)
def list_contacts(
    state: StateDep,
    app: CurrentApp,
    campaign_id: str,
    status: Annotated[ContactStatus | None, Query()] = None,
    # A choice, as `status` is: an unknown outcome answered an empty page, as if none had it.
    outcome: Annotated[CallOutcome | None, Query(description="the contact's last outcome")] = None,
    phone_number: Annotated[
        str | None,
        Query(
            alias="phoneNumber",
            description="the number as add-contacts takes it (0915000099, 84915000099, +84915000099)",
        ),
    ] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    phone = _phone_filter(phone_number, state.settings.default_region)
    with state.db.reading() as session:
        campaign = queries.get_campaign(session, application_id=app.application_id, campaign_id=campaign_id)
        rows, total = queries.list_contacts(
            session,
            campaign_id=campaign_id,
            status=status.value if status else None,
            outcome=outcome.value if outcome else None,
            phone=phone,
            limit=limit,
            offset=offset,
        )
        return ok({"contacts": queries.contact_dicts(session, campaign, rows), "total_count": total})


def _phone_filter(raw: str | None, region: str) -> str | None:
    """The stored (E.164) form of a `phoneNumber` filter, normalised as add-contacts normalises
    the numbers it stores, so `0915000099` finds `+84915000099`; None for no filter. A value
    that is no phone number is refused (ValidationFailed naming `phoneNumber`), as the audit
    log's `phoneNumber` filter refuses it, rather than answered with an empty page."""
    if raw is None or raw == "":
        return None
    try:
        return normalise(raw, region)
    except PhoneError as exc:
        raise ValidationFailed(str(exc), field="phoneNumber") from None


@router.post(
    "/campaigns/{campaign_id}/contacts/import",
    summary="Import contacts from a CSV or XLSX file (multipart field `file`, optional `mapping`)",
    **answers(ImportReport, 404, 409),
    openapi_extra={"requestBody": UPLOAD_BODY},
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
    response_class=StreamingResponse,
    responses={200: {"description": "the file, as an attachment", "content": EXPORT_CONTENT}, 404: {}},
)
def export_contacts(
    state: StateDep,
    app: CurrentApp,
    campaign_id: str,
    # Checked by export.open_export, with its own message; the document lists the choices.
    format: Annotated[
        str, Query(description="the file's format", json_schema_extra={"enum": ["csv", "xlsx"]})
    ] = "csv",
) -> StreamingResponse:
    download = export.open_export(
        db=state.db, application_id=app.application_id, campaign_id=campaign_id, format=format
    )
    return StreamingResponse(
        download.chunks,
        media_type=download.media_type,
        headers={"Content-Disposition": f'attachment; filename="{download.filename}"'},
    )


@router.get(
    "/contacts/{contact_id}",
    summary="A contact with its call attempts",
    **answers(Envelope[ContactDetail], 404),
)
def get_contact(state: StateDep, app: CurrentApp, contact_id: str) -> dict[str, Any]:
    with state.db.reading() as session:
        contact = queries.get_contact(session, application_id=app.application_id, contact_id=contact_id)
        campaign = queries.campaign_by_id(session, contact.campaign_id)
        [body] = queries.contact_dicts(session, campaign, [contact])
        body["call_attempts"] = [
            queries.attempt_dict(a, state.settings.base_url) for a in queries.attempts_of(session, contact.id)
        ]
        return ok(body)


@router.post(
    "/contacts/{contact_id}/cancel",
    summary="Cancel a contact (no further calls)",
    **answers(Envelope[ContactRead], 404, 409),
)
def cancel_contact(state: StateDep, app: CurrentApp, contact_id: str) -> dict[str, Any]:
    with state.db.transaction() as session:
        return ok(
            campaign_service.cancel_contact(
                session=session, application_id=app.application_id, contact_id=contact_id
            )
        )
