"""Applications: create one, its API secret shown once, rotation, webhook settings, and the
delivery log with replay. Every change goes through the services the CLI and the API use.

The API secret is shown on the one page view that follows its creation or rotation: the POST
seals it with the platform's secret box into the (signed, HttpOnly) session cookie and the next
GET of the application's page takes it out, so a reload, the back button or another tab finds
only the API key. Pages that may hold it are sent `Cache-Control: no-store`.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from aicall.accounts import applications
from aicall.accounts import service as account_service
from aicall.accounts.applications import ApplicationRow
from aicall.accounts.users import UserRead
from aicall.dashboard import reasons
from aicall.dashboard.deps import Csrf, CurrentUser
from aicall.dashboard.errors import Forbidden, PageNotFound
from aicall.dashboard.i18n import Translator
from aicall.dashboard.templating import language_of, render
from aicall.db.keyset import Cursor
from aicall.errors import ApiError
from aicall.web.deps import AppState, StateDep
from aicall.webhooks import deliveries_view
from aicall.webhooks import service as webhook_service
from aicall.webhooks.errors import WebhookEventNotFound, WebhookUrlNotSet
from aicall.webhooks.guard import BlockedAddress, InvalidWebhookUrl, check_webhook_url
from aicall.webhooks.payloads import EVENT_TYPES

router = APIRouter(dependencies=[Csrf], include_in_schema=False)

SECRET_ONCE = "apps.secret_once"  # session key: {"application_id", "sealed", "rotated"}
NOTICE = "apps.notice"  # session key: {"ok": bool, "text": str}, shown once
LOG_PAGE_SIZE = 25
NO_STORE = {"Cache-Control": "no-store"}

Text = Annotated[str, Form()]


def _require_admin(user: UserRead) -> None:
    if not user.is_admin:
        raise Forbidden()


def _application(state: AppState, user: UserRead, application_id: str) -> ApplicationRow:
    """The user's account's application, or the 404 page (missing and another's look alike)."""
    with state.db.reading() as session:
        app = applications.of_account(
            session=session, account_id=user.account_id, application_id=application_id
        )
    if app is None:
        raise PageNotFound()
    return app


def _notice(request: Request, text: str, *, ok: bool = True) -> None:
    request.session[NOTICE] = {"ok": ok, "text": text}


def _url_error(_: Translator, exc: InvalidWebhookUrl) -> str:
    """The guard's reason in the page's language (`reasons`), after a sentence saying the rule
    for a refused address; one no rule knows in the API's and CLI's words, after that sentence."""
    said = reasons.translate(str(exc), _)
    if isinstance(exc, BlockedAddress):
        lead = _("Webhook chỉ được gửi tới địa chỉ công khai, không vào mạng nội bộ.")
        return f"{lead} {said}" if said is not None else f"{lead} ({exc})"
    return said if said is not None else f"{_('URL webhook không hợp lệ.')} ({exc})"


def _service_error(_: Translator, exc: ApiError, known: set[str]) -> tuple[str | None, str]:
    """The field the service's first problem names (None when the form has no such field) and
    the problem in the page's language; one no rule knows after "Không hợp lệ"."""
    field, reason = reasons.problems(exc)[0]
    said = reasons.translate(reason, _)
    return (field if field in known else None), said if said is not None else f"{_('Không hợp lệ')}: {reason}"


# -- the list, and creating an application ------------------------------------------------------


def _list_page(
    request: Request,
    state: AppState,
    user: UserRead,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    with state.db.reading() as session:
        rows = applications.list_for_account(session=session, account_id=user.account_id)
    context = {"apps": rows, "errors": errors or {}, "values": values or {}}
    return render(request, "apps/list.html", context, status_code=status_code)


@router.get("/apps")
def apps_list(request: Request, state: StateDep, user: CurrentUser) -> HTMLResponse:
    """The account's applications (API key, webhook URL) and, for admins, the creation form."""
    return _list_page(request, state, user)


@router.post("/apps")
def create_application(
    request: Request, state: StateDep, user: CurrentUser, name: Text = "", webhook_url: Text = ""
) -> Response:
    """Create an application as `aicall app create` does; its page then shows the secret once."""
    _require_admin(user)
    _ = Translator(language_of(request))
    values = {"name": name, "webhook_url": webhook_url}
    if not name.strip():
        errors = {"name": _("Hãy nhập tên ứng dụng.")}
        return _list_page(request, state, user, errors=errors, values=values, status_code=400)
    url = None
    if webhook_url.strip():
        try:
            url = check_webhook_url(webhook_url, allow_private=state.settings.webhook_allow_private)
        except InvalidWebhookUrl as exc:
            errors = {"webhook_url": _url_error(_, exc)}
            return _list_page(request, state, user, errors=errors, values=values, status_code=400)
    try:
        with state.db.transaction() as session:
            new = account_service.create_application(
                session=session, box=state.box, account_id=user.account_id, name=name, webhook_url=url
            )
            application_id, secret = new.application.id, new.api_secret
    except ApiError as exc:
        field, message = _service_error(_, exc, set(values))
        errors = {field or "name": message}
        return _list_page(request, state, user, errors=errors, values=values, status_code=400)
    request.session[SECRET_ONCE] = {
        "application_id": application_id,
        "sealed": state.box.seal(secret),
        "rotated": False,
    }
    return RedirectResponse(f"/apps/{application_id}", status_code=303)


# -- one application ------------------------------------------------------------------------


def _app_page(
    request: Request,
    state: AppState,
    user: UserRead,
    app: ApplicationRow,
    *,
    before: str | None = None,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    secret = None
    once = request.session.pop(SECRET_ONCE, None)
    if isinstance(once, dict) and once.get("application_id") == app.id:
        secret = {"value": state.box.open(once["sealed"]), "rotated": bool(once.get("rotated"))}
    with state.db.reading() as session:
        settings = webhook_service.read_settings(session=session, box=state.box, application_id=app.id)
        log = deliveries_view.events_page(
            session=session, application_id=app.id, before=Cursor.parse(before), limit=LOG_PAGE_SIZE
        )
    if values is None:
        values = {
            "webhook_url": settings.webhook_url or "",
            "events_mode": "all" if settings.webhook_events is None else "some",
            "events": settings.webhook_events or [],
        }
    context = {
        "app": app,
        "secret": secret,
        "webhook_secret": settings.webhook_secret if user.is_admin else None,
        "event_types": EVENT_TYPES,
        "log": log,
        "before": before,
        "notice": request.session.pop(NOTICE, None),
        "errors": errors or {},
        "values": values,
    }
    return render(request, "apps/detail.html", context, status_code=status_code, headers=NO_STORE)


@router.get("/apps/{application_id}")
def application_page(
    request: Request, state: StateDep, user: CurrentUser, application_id: str, before: str | None = None
) -> HTMLResponse:
    """Key, the secret if it was just made, webhook settings, and the delivery log (keyset pages)."""
    return _app_page(request, state, user, _application(state, user, application_id), before=before)


@router.get("/apps/{application_id}/deliveries")
def delivery_log(
    request: Request, state: StateDep, user: CurrentUser, application_id: str, before: str | None = None
) -> HTMLResponse:
    """The delivery log alone: what the application page's log refreshes itself with (htmx)."""
    app = _application(state, user, application_id)
    with state.db.reading() as session:
        log = deliveries_view.events_page(
            session=session, application_id=app.id, before=Cursor.parse(before), limit=LOG_PAGE_SIZE
        )
    return render(request, "apps/_deliveries.html", {"app": app, "log": log, "before": before})


@router.post("/apps/{application_id}/rotate-secret")
def rotate_api_secret(request: Request, state: StateDep, user: CurrentUser, application_id: str) -> Response:
    """A new API secret, shown once; tokens signed with the old one stop working."""
    _require_admin(user)
    app = _application(state, user, application_id)
    with state.db.transaction() as session:
        secret = account_service.rotate_api_secret(session=session, box=state.box, application_id=app.id)
    # This process verifies tokens from a short-lived cache: drop the old secret from it now.
    state.credential_cache.forget(app.api_key)
    request.session[SECRET_ONCE] = {
        "application_id": app.id,
        "sealed": state.box.seal(secret),
        "rotated": True,
    }
    return RedirectResponse(f"/apps/{app.id}", status_code=303)


@router.post("/apps/{application_id}/webhook")
def update_webhook(
    request: Request,
    state: StateDep,
    user: CurrentUser,
    application_id: str,
    webhook_url: Text = "",
    events_mode: Text = "all",
    events: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """Webhook URL and event types, through the API's settings service (same URL guard)."""
    _require_admin(user)
    _ = Translator(language_of(request))
    app = _application(state, user, application_id)
    chosen = list(events or [])
    values = {"webhook_url": webhook_url, "events_mode": events_mode, "events": chosen}
    try:
        webhook_service.update_settings(
            db=state.db,
            box=state.box,
            application_id=app.id,
            allow_private=state.settings.webhook_allow_private,
            webhook_url=webhook_url,
            webhook_events=None if events_mode == "all" else chosen,
        )
    except ApiError as exc:
        if isinstance(exc.__cause__, InvalidWebhookUrl):
            errors = {"webhook_url": _url_error(_, exc.__cause__)}
        else:
            field, message = _service_error(_, exc, {"webhook_events"})
            errors = {"events" if field == "webhook_events" else "webhook_url": message}
        return _app_page(request, state, user, app, errors=errors, values=values, status_code=400)
    _notice(request, _("Đã lưu cài đặt webhook."))
    return RedirectResponse(f"/apps/{app.id}#webhook", status_code=303)


@router.post("/apps/{application_id}/webhook/rotate-secret")
def rotate_webhook_secret(
    request: Request, state: StateDep, user: CurrentUser, application_id: str
) -> Response:
    """A new signing secret, used from the next delivery attempt on (retries included)."""
    _require_admin(user)
    _ = Translator(language_of(request))
    app = _application(state, user, application_id)
    webhook_service.rotate_secret(db=state.db, box=state.box, application_id=app.id)
    _notice(request, _("Đã đổi khóa ký webhook."))
    return RedirectResponse(f"/apps/{app.id}#webhook", status_code=303)


# -- events: one event's attempts, and replays ----------------------------------------------------


@router.get("/apps/{application_id}/events/{event_id}")
def event_page(
    request: Request, state: StateDep, user: CurrentUser, application_id: str, event_id: str
) -> HTMLResponse:
    """One event: the body sent and every delivery attempt."""
    app = _application(state, user, application_id)
    with state.db.reading() as session:
        try:
            event, attempts = webhook_service.get_event(
                session=session, application_id=app.id, event_id=event_id
            )
        except WebhookEventNotFound:
            raise PageNotFound() from None
        body = json.dumps(event.payload, ensure_ascii=False, indent=2)
    context = {
        "app": app,
        "event": event,
        "body": body,
        "attempts": attempts,
        "notice": request.session.pop(NOTICE, None),
    }
    return render(request, "apps/event.html", context)


@router.post("/apps/{application_id}/events/{event_id}/replay")
def replay_event(
    request: Request,
    state: StateDep,
    user: CurrentUser,
    application_id: str,
    event_id: str,
    back: Text = "app",
) -> Response:
    """Send an event again (same webhook-id, fresh retries), as the API's replay does."""
    _ = Translator(language_of(request))
    app = _application(state, user, application_id)
    try:
        webhook_service.replay_event(db=state.db, application_id=app.id, event_id=event_id)
    except WebhookEventNotFound:
        raise PageNotFound() from None
    except WebhookUrlNotSet:
        _notice(request, _("Ứng dụng chưa có URL webhook: hãy đặt URL trước khi gửi lại."), ok=False)
    else:
        _notice(request, _("Đã xếp sự kiện vào hàng để gửi lại."))
    target = f"/apps/{app.id}/events/{event_id}" if back == "event" else f"/apps/{app.id}#log"
    return RedirectResponse(target, status_code=303)
