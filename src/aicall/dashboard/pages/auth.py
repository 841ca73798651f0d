"""Signing in and out, and the language switch."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from aicall.accounts import users as user_service
from aicall.dashboard.deps import SESSION_EPOCH, SESSION_USER, Csrf, csrf_token
from aicall.dashboard.i18n import LANGUAGE_COOKIE, LANGUAGES, Translator
from aicall.dashboard.templating import language_of, render
from aicall.dashboard.throttle import LoginThrottle
from aicall.web.deps import StateDep

router = APIRouter(dependencies=[Csrf], include_in_schema=False)
throttle = LoginThrottle()
HOME = "/campaigns"
YEAR_SECONDS = 365 * 24 * 3600


def safe_next(target: str | None) -> str:
    """Only a path on this site: an open redirect (`//evil.example`) becomes the home page."""
    if not target:
        return HOME
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return HOME
    return target


@router.get("/")
async def home() -> RedirectResponse:
    return RedirectResponse(HOME, status_code=303)


@router.get("/login")
async def login_form(request: Request, next: str | None = None) -> Response:
    if isinstance(request.session.get(SESSION_USER), str):
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, "login.html", {"next": safe_next(next)})


@router.post("/login")
async def login(
    request: Request,
    state: StateDep,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = HOME,
) -> Response:
    _ = Translator(language_of(request))
    address = request.client.host if request.client else "unknown"
    context = {"next": safe_next(next), "values": {"email": email}}
    wait = throttle.blocked_for(email, address)
    if wait > 0:
        minutes = max(1, round(wait / 60))
        message = _("Quá nhiều lần đăng nhập sai. Thử lại sau {minutes} phút.", minutes=minutes)
        return render(request, "login.html", {**context, "form_error": message}, status_code=429)

    def check() -> user_service.User | None:
        with state.db.reading() as session:
            found = user_service.authenticate(session=session, email=email, password=password)
        if found is not None:
            with state.db.transaction() as session:
                user_service.record_login(session=session, user_id=found.id, password=password)
        return found

    user = await run_in_threadpool(check)
    if user is None:
        throttle.failed(email, address)
        message = _("Email hoặc mật khẩu không đúng.")
        return render(request, "login.html", {**context, "form_error": message}, status_code=400)
    throttle.succeeded(email, address)
    # A new session on every sign-in (no fixation): a fresh CSRF token, nothing carried over.
    request.session.clear()
    request.session[SESSION_USER] = user.id
    request.session[SESSION_EPOCH] = user.session_epoch
    csrf_token(request)
    response = RedirectResponse(safe_next(next), status_code=303)
    if LANGUAGE_COOKIE not in request.cookies:
        response.set_cookie(LANGUAGE_COOKIE, user.language, max_age=YEAR_SECONDS, samesite="lax")
    return response


@router.post("/logout")
async def logout(request: Request, state: StateDep) -> RedirectResponse:
    """Sign out: the user's every session ends (a copied cookie stops working too)."""
    user_id = request.session.get(SESSION_USER)
    if isinstance(user_id, str):

        def end() -> None:
            with state.db.transaction() as session:
                user_service.end_sessions(session=session, user_id=user_id)

        await run_in_threadpool(end)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/lang/{language}")
async def switch_language(request: Request, language: str, next: str | None = None) -> RedirectResponse:
    """Set the interface language by cookie (a GET: it changes nothing stored)."""
    response = RedirectResponse(safe_next(next or request.headers.get("referer")), status_code=303)
    if language in LANGUAGES:
        response.set_cookie(LANGUAGE_COOKIE, language, max_age=YEAR_SECONDS, samesite="lax")
    return response
