"""Mounting the dashboard on the API's ASGI app: same process, same port, pages at `/`."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from aicall.dashboard.deps import CsrfFailed
from aicall.dashboard.errors import Forbidden, LoginRequired, PageNotFound
from aicall.dashboard.pages import (
    apps,
    auth,
    balance,
    campaigns,
    contacts,
    scenario_actions,
    scenarios,
    telephony,
    voice,
)
from aicall.dashboard.pages.contact_files import router as contact_files_router
from aicall.dashboard.templating import render

STATIC = Path(__file__).parent / "static"
SESSION_COOKIE = "aicall_session"
SESSION_MAX_AGE = 12 * 3600  # seconds: a working day, then sign in again

# Page routers, in the order their paths are matched. Each page area adds its own line.
ROUTERS = [auth.router, campaigns.router]
ROUTERS += [scenarios.router, scenario_actions.router]
ROUTERS += [apps.router, balance.router, telephony.router]
ROUTERS += [contacts.router]
ROUTERS += [contact_files_router]
ROUTERS += [voice.router]


def session_secret(secret_key: str) -> str:
    """The cookie-signing key, derived from the platform secret so it needs no setting of its own
    and differs from the key that encrypts application secrets."""
    return hmac.new(secret_key.encode(), b"aicall dashboard session", hashlib.sha256).hexdigest()


def install(app: FastAPI, *, secret_key: str, https_only: bool) -> None:
    """Add the session cookie, static files, pages and the page error handlers to `app`."""
    app.add_middleware(
        SessionMiddleware,
        secret_key=session_secret(secret_key),
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_MAX_AGE,
        same_site="lax",  # Starlette sets HttpOnly on this cookie always
        https_only=https_only,
    )
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for router in ROUTERS:
        app.include_router(router)

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        target = (
            f"/login?next={quote(exc.next_url, safe='/')}"
            if exc.next_url not in ("/", auth.HOME)
            else "/login"
        )
        if request.headers.get("HX-Request"):
            return Response(status_code=204, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(PageNotFound)
    async def _missing(request: Request, _exc: PageNotFound) -> Response:
        return render(request, "error.html", {"status": 404}, status_code=404)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, _exc: Forbidden) -> Response:
        return render(request, "error.html", {"status": 403}, status_code=403)

    @app.exception_handler(CsrfFailed)
    async def _csrf(request: Request, _exc: CsrfFailed) -> Response:
        return render(request, "error.html", {"status": 419}, status_code=403)
