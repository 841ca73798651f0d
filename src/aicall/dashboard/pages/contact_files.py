"""Contact files in the dashboard: upload a CSV or XLSX list, map its columns, read the
validation report, confirm, watch the import; and download the campaign's results.

The steps, each a page of its own so a reload never repeats one:

1. `GET  /campaigns/{id}/import`                 the upload form (one `input[type=file]`)
2. `POST /campaigns/{id}/import`                 keeps the file (campaigns.import_jobs), then
   `GET  /campaigns/{id}/import/{token}`         the mapping form, pre-filled (column_mapping)
3. `POST /campaigns/{id}/import/{token}/check`   the dry run: row, value, reason for each bad row;
                                                 its submit button confirms
4. `POST /campaigns/{id}/import/{token}/start`   the import runs in the background; the same
   `GET  /campaigns/{id}/import/{token}` page then shows its progress bar, which htmx refreshes
   from `/progress` every second until it is done

Rows are checked and stored by campaigns.file_import, the service behind the public API's
import and the CLI: the same rules and reasons. Another account's campaign or upload gives the
same page as a missing one.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response, StreamingResponse
from starlette.datastructures import UploadFile

from aicall.accounts.users import UserRead
from aicall.campaigns import export, file_import, import_jobs, overview
from aicall.campaigns.contact_import import PHONE_KEY
from aicall.campaigns.models import CLOSED_CAMPAIGN_STATUSES, Campaign
from aicall.dashboard import reasons
from aicall.dashboard.deps import Csrf, CurrentUser
from aicall.dashboard.errors import PageNotFound
from aicall.dashboard.i18n import Translator
from aicall.dashboard.templating import language_of, render
from aicall.errors import ApiError
from aicall.speech.keys import key_form
from aicall.web.deps import AppState, StateDep

router = APIRouter(dependencies=[Csrf], include_in_schema=False)

SHOWN_REJECTIONS = 200  # rows listed on the report page; the CSV report has them all
IGNORE = ""


def _campaign(state: AppState, user: UserRead, campaign_id: str) -> Campaign:
    with state.db.reading() as session:
        campaign = overview.campaign_of_account(session, account_id=user.account_id, campaign_id=campaign_id)
    if campaign is None:
        raise PageNotFound()
    return campaign


def _staging(state: AppState) -> import_jobs.StagingArea:
    return import_jobs.StagingArea(
        root=state.settings.data_dir / "imports",
        db=state.db,
        limits=file_import.Limits.from_settings(state.settings),
    )


def _staged(state: AppState, user: UserRead, campaign: Campaign, token: str) -> import_jobs.Staged:
    staged = _staging(state).find(token, account_id=user.account_id, campaign_id=campaign.id)
    if staged is None:
        raise PageNotFound()
    return staged


def _upload_page(
    request: Request, campaign: Campaign, error: str | None = None, status_code: int = 200
) -> HTMLResponse:
    context = {
        "campaign": campaign,
        "closed": campaign.status in CLOSED_CAMPAIGN_STATUSES,
        "errors": {"file": error} if error else {},
    }
    return render(request, "contact_files/upload.html", context, status_code=status_code)


def _problem(request: Request, exc: ApiError) -> str:
    """An error of the file, in the page's language (`reasons`; a reason no rule knows in the
    API's own words)."""
    _ = Translator(language_of(request))
    said = " ".join(reasons.explain(reason, _) for _field, reason in reasons.problems(exc))
    return f"{_('Không dùng được tệp này:')} {said}"


@router.get("/campaigns/{campaign_id}/import")
def upload_form(request: Request, state: StateDep, user: CurrentUser, campaign_id: str) -> HTMLResponse:
    """Step 1: the upload form."""
    return _upload_page(request, _campaign(state, user, campaign_id))


@router.post("/campaigns/{campaign_id}/import")
async def upload(request: Request, state: StateDep, user: CurrentUser, campaign_id: str) -> Response:
    """Keep the file, check it can be read and has a phone column, then show the mapping form."""
    campaign = _campaign(state, user, campaign_id)
    _ = Translator(language_of(request))
    form = await request.form()  # read by the CSRF check already: Starlette keeps it
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            return _upload_page(request, campaign, _("Chọn một tệp CSV hoặc XLSX."), status_code=400)
        staging = _staging(state)
        staged = staging.stage(
            source=upload.file, filename=upload.filename, account_id=user.account_id, campaign_id=campaign.id
        )
        try:
            with staged.upload.open("rb") as source:
                file_import.preview(
                    db=state.db,
                    application_id=campaign.application_id,
                    campaign_id=campaign.id,
                    source=source,
                    limits=staging.limits,
                    filename=staged.filename,
                )
        except ApiError:
            staging.discard(staged)
            raise
    except ApiError as exc:
        return _upload_page(request, campaign, _problem(request, exc), status_code=400)
    finally:
        await form.close()  # the spooled upload: the staged copy is what the next steps read
    return RedirectResponse(f"/campaigns/{campaign.id}/import/{staged.token}", status_code=303)


def _mapping_page(
    request: Request,
    state: AppState,
    campaign: Campaign,
    staged: import_jobs.Staged,
    chosen: list[str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    staging = _staging(state)
    try:
        with staged.upload.open("rb") as source:
            found = file_import.preview(
                db=state.db,
                application_id=campaign.application_id,
                campaign_id=campaign.id,
                source=source,
                limits=staging.limits,
                filename=staged.filename,
            )
    except ApiError as exc:
        return _upload_page(request, campaign, _problem(request, exc), status_code=400)
    selected = chosen if chosen is not None else found.mapping.targets()
    columns = [
        {
            "position": position,
            "header": header,
            "samples": [row[position] for row in found.samples if row[position] is not None],
            "choices": _choices(header, found.fields),
            "selected": selected[position] if position < len(selected) else IGNORE,
        }
        for position, header in enumerate(found.header)
    ]
    context = {
        "campaign": campaign,
        "staged": staged,
        "format": found.format,
        "size_hint": found.size_hint,
        "columns": columns,
        "form_error": error,
    }
    return render(request, "contact_files/mapping.html", context, status_code=status_code)


def _choices(header: str, fields: tuple[Any, ...]) -> list[tuple[str, str, dict[str, str]]]:
    """(value, label, label values) of a column's select: the number, each field of the scenario,
    the column kept as a tag of its own name, or left out. Labels are translated by the template."""
    choices: list[tuple[str, str, dict[str, str]]] = [(PHONE_KEY, "Số điện thoại", {})]
    keys = {PHONE_KEY}
    for field in fields:
        choices.append((field.key, "Trường {name}", {"name": f"{field.name} ({field.key})"}))
        keys.add(field.key)
    own = key_form(header)
    if own and own not in keys:
        choices.append((own, "Thẻ riêng {key}", {"key": own}))
    choices.append((IGNORE, "Bỏ qua cột này", {}))
    return choices


@router.get("/campaigns/{campaign_id}/import/{token}")
def import_page(
    request: Request, state: StateDep, user: CurrentUser, campaign_id: str, token: str
) -> HTMLResponse:
    """Step 2 (the mapping form) before the import starts, step 4 (its progress) after."""
    campaign = _campaign(state, user, campaign_id)
    staged = _staged(state, user, campaign, token)
    job = _staging(state).state(staged)
    if job is None:
        return _mapping_page(request, state, campaign, staged)
    context = {"campaign": campaign, "staged": staged, "job": job}
    return render(request, "contact_files/progress.html", context)


def _positions(form: Any, count: int) -> list[str]:
    return [str(form.get(f"col-{position}", IGNORE)) for position in range(count)]


async def _read_positions(request: Request) -> tuple[list[str], dict[int, str]]:
    form = await request.form()
    try:
        count = min(int(str(form.get("columns", "0"))), 16_384)  # XLSX has at most 16,384 columns
    except ValueError:
        count = 0
    chosen = _positions(form, count)
    return chosen, dict(enumerate(chosen))


@router.post("/campaigns/{campaign_id}/import/{token}/check")
async def check(
    request: Request, state: StateDep, user: CurrentUser, campaign_id: str, token: str
) -> Response:
    """Step 3: the dry run of every row with the chosen mapping; nothing is stored."""
    campaign = _campaign(state, user, campaign_id)
    staged = _staged(state, user, campaign, token)
    if _staging(state).state(staged) is not None:
        return RedirectResponse(f"/campaigns/{campaign.id}/import/{staged.token}", status_code=303)
    chosen, positions = await _read_positions(request)
    try:
        with staged.upload.open("rb") as source:
            report = file_import.validate(
                db=state.db,
                application_id=campaign.application_id,
                campaign_id=campaign.id,
                source=source,
                limits=_staging(state).limits,
                filename=staged.filename,
                positions=positions,
            )
    except ApiError as exc:
        return _mapping_page(
            request, state, campaign, staged, chosen, _problem(request, exc), status_code=400
        )
    rejected = report.rejected_rows()
    context = {
        "campaign": campaign,
        "staged": staged,
        "report": report,
        "rejected": rejected[:SHOWN_REJECTIONS],
        "more": max(0, len(rejected) - SHOWN_REJECTIONS),
        "chosen": chosen,
    }
    return render(request, "contact_files/report.html", context)


@router.post("/campaigns/{campaign_id}/import/{token}/start")
async def start(
    request: Request, state: StateDep, user: CurrentUser, campaign_id: str, token: str
) -> Response:
    """Step 4: the confirmed import, in the background; the page shows its progress."""
    campaign = _campaign(state, user, campaign_id)
    staged = _staged(state, user, campaign, token)
    _, positions = await _read_positions(request)
    _staging(state).start(staged, application_id=campaign.application_id, positions=positions)
    return RedirectResponse(f"/campaigns/{campaign.id}/import/{staged.token}", status_code=303)


@router.get("/campaigns/{campaign_id}/import/{token}/progress")
def progress(request: Request, state: StateDep, user: CurrentUser, campaign_id: str, token: str) -> Response:
    """The progress bar, for htmx; HTTP 286 once finished tells htmx to stop polling."""
    campaign = _campaign(state, user, campaign_id)
    staged = _staged(state, user, campaign, token)
    job = _staging(state).state(staged)
    context = {"campaign": campaign, "staged": staged, "job": job}
    response = render(request, "contact_files/_progress.html", context)
    if job is not None and job.finished:
        response.status_code = 286
    return response


@router.get("/campaigns/{campaign_id}/import/{token}/rejected.csv")
def rejected_report(state: StateDep, user: CurrentUser, campaign_id: str, token: str) -> FileResponse:
    """The finished import's rejected rows (row, value, reason) as CSV."""
    campaign = _campaign(state, user, campaign_id)
    staged = _staged(state, user, campaign, token)
    if not staged.rejected_csv.is_file():
        raise PageNotFound()
    return FileResponse(staged.rejected_csv, media_type="text/csv", filename=f"rejected-{campaign.id}.csv")


@router.get("/campaigns/{campaign_id}/export")
def export_contacts(
    state: StateDep, user: CurrentUser, campaign_id: str, format: str = "xlsx"
) -> StreamingResponse:
    """The campaign's contacts and call results as CSV or XLSX, streamed (campaigns.export)."""
    campaign = _campaign(state, user, campaign_id)
    if format not in export.FORMATS:
        raise PageNotFound()
    download = export.open_export(
        db=state.db, application_id=campaign.application_id, campaign_id=campaign.id, format=format
    )
    return StreamingResponse(
        download.chunks,
        media_type=download.media_type,
        headers={"Content-Disposition": f'attachment; filename="{download.filename}"'},
    )
