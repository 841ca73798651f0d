"""Dependencies of dashboard pages: who is signed in, and the CSRF check on every form.

Each page router is declared with `dependencies=[Csrf]`, so no POST can forget the check.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import Depends, Request

from aicall.accounts import users as user_service
from aicall.accounts.users import UserRead
from aicall.dashboard.errors import LoginRequired
from aicall.web.deps import StateDep

SESSION_USER = "uid"
SESSION_EPOCH = "ep"  # the user's session_epoch when this session signed in
SESSION_CSRF = "csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class CsrfFailed(Exception):
    """A state-changing request without the session's CSRF token (OWASP synchroniser token)."""


def csrf_token(request: Request) -> str:
    """This session's CSRF token, made on first use (anonymous sessions too: the login form)."""
    token = request.session.get(SESSION_CSRF)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session[SESSION_CSRF] = token
    return token


async def check_csrf(request: Request) -> None:
    """Refuse a POST/PUT/PATCH/DELETE whose form field or header does not carry the token."""
    if request.method in _SAFE_METHODS:
        return
    expected = request.session.get(SESSION_CSRF)
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()  # Starlette caches it for the endpoint
            value = form.get(CSRF_FIELD)
            sent = value if isinstance(value, str) else None
    if not isinstance(expected, str) or sent is None or not hmac.compare_digest(expected, sent):
        raise CsrfFailed()


Csrf = Depends(check_csrf)


def current_user(request: Request, state: StateDep) -> UserRead:
    """The signed-in user; raises LoginRequired (a redirect to /login) when there is none."""
    user_id = request.session.get(SESSION_USER)
    user = None
    if isinstance(user_id, str):
        with state.db.reading() as session:
            user = user_service.read(session=session, user_id=user_id)
    if user is not None and request.session.get(SESSION_EPOCH, 0) != user.session_epoch:
        user = None  # signed out since (logout or a new password): this cookie is dead
    if user is None:
        request.session.pop(SESSION_USER, None)
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target)
    request.state.user = user
    return user


CurrentUser = Annotated[UserRead, Depends(current_user)]
