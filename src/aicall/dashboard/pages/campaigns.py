"""Campaign pages: the list, a new campaign, one campaign with live figures, its buttons, its
scenario and its settings. Every change goes through campaigns.service, as the public API's does."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from aicall.accounts.users import UserRead
from aicall.campaigns import board, overview, voicemail
from aicall.campaigns import service as campaign_service
from aicall.campaigns.models import Campaign, CampaignStatus
from aicall.campaigns.schemas import CampaignCreate
from aicall.campaigns.settings import CampaignSettings
from aicall.clock import utc_now
from aicall.dashboard import formatting
from aicall.dashboard.deps import Csrf, CurrentUser
from aicall.dashboard.errors import PageNotFound
from aicall.dashboard.i18n import Translator
from aicall.dashboard.pages import campaign_forms as forms
from aicall.dashboard.templating import language_of, render
from aicall.errors import CampaignNotReady, CampaignStateError, ScenarioNotFound, ValidationFailed
from aicall.scenarios.models import Scenario
from aicall.web.deps import AppState, StateDep

router = APIRouter(dependencies=[Csrf], include_in_schema=False)

ACTIONS = ("start", "pause", "resume", "stop")
SETTINGS_FIELDS = {
    "timezone",
    "days",
    "hours",
    "start_date",
    "end_date",
    "max_concurrent",
    "calls_per_second",
    "record",
    "amd_mode",
    "voicemail_message_action_id",
    *(f"retry.{o}.{a}" for o in forms.RETRY_OUTCOMES for a in ("max_attempts", "interval")),
}
NEW_FIELDS = {"name", "application_id", "scenario_id", "pool_hotline_key", "timezone", "days", "hours"}


def clock(moment: datetime | None, seconds: bool = False) -> str:
    """`14:05` (or `14:05:09`) in the operator's time zone: times on a chart or a timeline."""
    if moment is None:
        return formatting.EMPTY
    return moment.astimezone(formatting.DEFAULT_TIME_ZONE).strftime("%H:%M:%S" if seconds else "%H:%M")


def _is_htmx(request: Request) -> bool:
    return bool(request.headers.get("HX-Request"))


@router.get("/campaigns")
def campaigns(request: Request, state: StateDep, user: CurrentUser) -> HTMLResponse:
    """Every campaign of the user's account; the table refreshes itself (htmx, every 2 s)."""
    with state.db.reading() as session:
        rows = overview.list_for_account(session, account_id=user.account_id)
    template = "campaigns/_table.html" if _is_htmx(request) else "campaigns/list.html"
    return render(request, template, {"campaigns": rows})


# --- a new campaign ---------------------------------------------------------------------------


def _new_form(
    request: Request,
    state: AppState,
    user: UserRead,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    form_error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    with state.db.reading() as session:
        choices = {
            "applications": overview.applications_of_account(session, account_id=user.account_id),
            "scenarios": overview.dialable_scenarios(session, account_id=user.account_id),
            "pools": overview.pool_keys(session, account_id=user.account_id),
        }
    context = {
        **choices,
        "values": values,
        "errors": errors or {},
        "form_error": form_error,
        "days": forms.DAYS,
    }
    return render(request, "campaigns/new.html", context, status_code=status_code)


@router.get("/campaigns/new")
def new_campaign_form(request: Request, state: StateDep, user: CurrentUser) -> HTMLResponse:
    defaults = forms.settings_values(CampaignSettings())
    return _new_form(request, state, user, {**defaults, "pool_hotline_key": ""})


@router.post("/campaigns/new")
async def create_campaign(request: Request, state: StateDep, user: CurrentUser) -> Response:
    """Create through campaigns.service.create_from_api: the API's rules, errors by field."""
    _ = Translator(language_of(request))
    form = await request.form()
    values = forms.submitted_values(form)
    read = forms.window_patch(form, CampaignSettings(), _)
    errors = dict(read.errors)
    settings = dict(read.patch)
    if values.get("pool_hotline_key"):
        settings["pool_hotline_key"] = values["pool_hotline_key"]
    with state.db.reading() as session:
        apps = {c.value for c in overview.applications_of_account(session, account_id=user.account_id)}
    application_id = values.get("application_id", "")
    if application_id not in apps:
        errors["application_id"] = _("Chọn một ứng dụng của tài khoản.")
    try:
        body = CampaignCreate.model_validate(
            {
                "name": values.get("name", "").strip(),
                "scenario_id": values.get("scenario_id") or None,
                "settings": settings,
                "start": values["start"],
            }
        )
    except ValidationError as exc:
        errors = {**forms.model_errors(exc, _, NEW_FIELDS)[0], **errors}
        body = None
    if errors or body is None:
        return _new_form(request, state, user, values, errors, status_code=400)
    try:
        with state.db.transaction() as session:
            campaign = campaign_service.create_from_api(
                session=session,
                application_id=application_id,
                account_id=user.account_id,
                name=body.name,
                scenario_id=body.scenario_id,
                settings=body.settings,
                start=body.start,
            )
            campaign_id = campaign.id
    except ScenarioNotFound:
        errors = {"scenario_id": _("Kịch bản không thuộc ứng dụng đã chọn.")}
        return _new_form(request, state, user, values, errors, status_code=400)
    except (ValidationFailed, CampaignNotReady, CampaignStateError) as exc:
        fields, form_error = forms.api_errors(exc, _, NEW_FIELDS)
        if isinstance(exc, CampaignNotReady):
            form_error = _("Chiến dịch chưa thể bắt đầu.") + (f" {form_error}" if form_error else "")
        return _new_form(request, state, user, values, fields, form_error, status_code=400)
    return RedirectResponse(f"/campaigns/{campaign_id}", status_code=303)


# --- one campaign -----------------------------------------------------------------------------


def _own_campaign(
    session: Session, user: UserRead, campaign_id: str, *, for_update: bool = False
) -> Campaign:
    """The signed-in account's campaign (locked for update when asked), or PageNotFound: another
    account's campaign looks missing, as the API's does."""
    campaign = overview.campaign_of_account(
        session, account_id=user.account_id, campaign_id=campaign_id, for_update=for_update
    )
    if campaign is None:
        raise PageNotFound()
    return campaign


def _board(state: AppState, user: UserRead, campaign_id: str) -> board.Board:
    with state.db.reading() as session:
        campaign = _own_campaign(session, user, campaign_id)
        return board.load(session, campaign=campaign, now=utc_now())


def _page(
    request: Request,
    state: AppState,
    user: UserRead,
    campaign_id: str,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    form_error: str | None = None,
    action_error: str | None = None,
    scenario_value: str | None = None,
    scenario_error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    view = _board(state, user, campaign_id)
    if values is None:
        values = forms.settings_values(view.settings) if view.settings else {}
    changeable = view.campaign.status in SCENARIO_CHANGEABLE
    scenarios = []
    if changeable:
        with state.db.reading() as session:
            scenarios = scenario_choices(session, account_id=user.account_id, campaign=view.campaign)
    context = {
        "board": view,
        "values": values,
        "errors": errors or {},
        "form_error": form_error,
        "action_error": action_error,
        "days": forms.DAYS,
        "retry_outcomes": forms.RETRY_OUTCOMES,
        "voicemail_messages": _voicemail_messages(state, view.campaign),
        "scenarios": scenarios,
        "scenario_changeable": changeable,
        "scenario_value": view.campaign.scenario_id if scenario_value is None else scenario_value,
        "scenario_error": scenario_error,
        "scenario_changed": request.query_params.get("scenario") == "changed",
        "saved": request.query_params.get("saved") == "1",
        "clock": clock,
    }
    return render(request, "campaigns/detail.html", context, status_code=status_code)


# While its scenario may be chosen on its page (running: pause first; closed: both refused by the service).
SCENARIO_CHANGEABLE = (CampaignStatus.DRAFT.value, CampaignStatus.PAUSED.value)


def scenario_choices(session: Session, *, account_id: str, campaign: Campaign) -> list[overview.Choice]:
    """The scenarios a campaign may be given: those the new-campaign form offers (approved, of
    the account) that belong to the campaign's own application, as the service requires."""
    own = set(session.scalars(select(Scenario.id).where(Scenario.application_id == campaign.application_id)))
    return [
        choice
        for choice in overview.dialable_scenarios(session, account_id=account_id)
        if choice.value in own
    ]


def _voicemail_messages(state: AppState, campaign: Any) -> list[tuple[str, str]]:
    """The scenario's PLAY_MESSAGE actions a voicemail may be left: (id, label)."""
    with state.db.reading() as session:
        return voicemail.message_choices(session, campaign)


@router.get("/campaigns/{campaign_id}")
def campaign_page(request: Request, state: StateDep, user: CurrentUser, campaign_id: str) -> HTMLResponse:
    """A campaign: live figures (refreshed by /live every 2 s), buttons, settings form."""
    return _page(request, state, user, campaign_id)


@router.get("/campaigns/{campaign_id}/live")
def campaign_live(request: Request, state: StateDep, user: CurrentUser, campaign_id: str) -> HTMLResponse:
    """The live part of the campaign page (status, buttons, counts, waiting, chart), for htmx."""
    return render(
        request, "campaigns/_live.html", {"board": _board(state, user, campaign_id), "clock": clock}
    )


def _transition(request: Request, state: AppState, user: UserRead, campaign_id: str, action: str) -> Response:
    _ = Translator(language_of(request))
    try:
        with state.db.transaction() as session:
            campaign = _own_campaign(session, user, campaign_id, for_update=True)
            status = campaign.status
            campaign_service.transition(
                session=session, campaign=campaign, account_id=user.account_id, action=action
            )
    except CampaignStateError:
        actions = {
            "start": _("bắt đầu"),
            "pause": _("tạm dừng"),
            "resume": _("tiếp tục"),
            "stop": _("kết thúc"),
        }
        statuses = {
            "draft": _("Nháp"),
            "running": _("Đang chạy"),
            "paused": _("Tạm dừng"),
            "completed": _("Hoàn thành"),
            "cancelled": _("Đã huỷ"),
        }
        message = _(
            "Không thể {action} chiến dịch ở trạng thái “{status}”.",
            action=actions[action],
            status=statuses.get(status, status),
        )
        return _page(request, state, user, campaign_id, action_error=message, status_code=409)
    except (CampaignNotReady, ValidationFailed) as exc:
        _fields, detail = forms.api_errors(exc, _, set())
        message = _("Chiến dịch chưa thể bắt đầu.") + (f" {detail}" if detail else "")
        return _page(request, state, user, campaign_id, action_error=message, status_code=400)
    return RedirectResponse(f"/campaigns/{campaign_id}", status_code=303)


@router.post("/campaigns/{campaign_id}/start")
def start(request: Request, state: StateDep, user: CurrentUser, campaign_id: str) -> Response:
    return _transition(request, state, user, campaign_id, "start")


@router.post("/campaigns/{campaign_id}/pause")
def pause(request: Request, state: StateDep, user: CurrentUser, campaign_id: str) -> Response:
    return _transition(request, state, user, campaign_id, "pause")


@router.post("/campaigns/{campaign_id}/resume")
def resume(request: Request, state: StateDep, user: CurrentUser, campaign_id: str) -> Response:
    return _transition(request, state, user, campaign_id, "resume")


@router.post("/campaigns/{campaign_id}/stop")
def stop(request: Request, state: StateDep, user: CurrentUser, campaign_id: str) -> Response:
    return _transition(request, state, user, campaign_id, "stop")


@router.post("/campaigns/{campaign_id}/scenario")
async def change_scenario(request: Request, state: StateDep, user: CurrentUser, campaign_id: str) -> Response:
    """Give a draft or paused campaign its scenario, or another one, through
    campaigns.service.update_from_api (the API's `PUT /campaigns/{id}` with `scenarioId`).

    Only an approved scenario of the campaign's application is taken (what the page offers). A
    running campaign (its callees would hear another script from one call to the next: pause it
    first) and a closed one are refused by the service, the API's rule too."""
    _ = Translator(language_of(request))
    chosen = str((await request.form()).get("scenario_id") or "").strip()

    def refused(message: str, status_code: int = 400) -> HTMLResponse:
        return _page(
            request,
            state,
            user,
            campaign_id,
            scenario_value=chosen,
            scenario_error=message,
            status_code=status_code,
        )

    not_offered = _("Chọn một kịch bản đã duyệt của ứng dụng này.")
    with state.db.reading() as session:
        campaign = _own_campaign(session, user, campaign_id)
        offered = {c.value for c in scenario_choices(session, account_id=user.account_id, campaign=campaign)}
    if chosen not in offered:
        return refused(not_offered)
    running = False
    try:
        with state.db.transaction() as session:
            campaign = _own_campaign(session, user, campaign_id, for_update=True)
            running = campaign.status == CampaignStatus.RUNNING.value
            campaign_service.update_from_api(
                session=session, campaign=campaign, name=None, scenario_id=chosen, settings=None
            )
    except CampaignStateError:
        if running:
            return refused(_("Chiến dịch đang chạy: hãy tạm dừng trước khi đổi kịch bản."), status_code=409)
        return refused(_("Chiến dịch đã kết thúc: không thể đổi kịch bản."), status_code=409)
    except ScenarioNotFound:
        return refused(not_offered)
    except ValidationFailed as exc:
        fields, rest = forms.api_errors(exc, _, {"scenario_id"})
        return refused(" ".join(filter(None, (fields.get("scenario_id"), rest))))
    return RedirectResponse(f"/campaigns/{campaign_id}?scenario=changed#scenario", status_code=303)


@router.post("/campaigns/{campaign_id}/settings")
async def save_settings(request: Request, state: StateDep, user: CurrentUser, campaign_id: str) -> Response:
    """Settings through campaigns.service.update_from_api (the API's PUT): only what changed."""
    _ = Translator(language_of(request))
    form = await request.form()
    values = forms.submitted_values(form)
    current = _board(state, user, campaign_id).settings or CampaignSettings()
    read = forms.settings_patch(form, current, _)
    if read.errors:
        return _page(request, state, user, campaign_id, values=values, errors=read.errors, status_code=400)
    if read.patch:
        try:
            with state.db.transaction() as session:
                campaign = _own_campaign(session, user, campaign_id, for_update=True)
                campaign_service.update_from_api(
                    session=session, campaign=campaign, name=None, scenario_id=None, settings=read.patch
                )
        except (ValidationFailed, CampaignStateError) as exc:
            fields, form_error = forms.api_errors(exc, _, SETTINGS_FIELDS)
            if isinstance(exc, CampaignStateError):
                fields, form_error = {}, _("Chiến dịch đã kết thúc: không thể đổi cài đặt.")
            return _page(
                request,
                state,
                user,
                campaign_id,
                values=values,
                errors=fields,
                form_error=form_error,
                status_code=400,
            )
    return RedirectResponse(f"/campaigns/{campaign_id}?saved=1#settings", status_code=303)
