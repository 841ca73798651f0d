"""Dependencies every router shares: the database, the caller's application, the raw body."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from starlette.concurrency import run_in_threadpool

from aicall.accounts import service as account_service
from aicall.accounts import tokens
from aicall.accounts.secrets_box import SecretBox
from aicall.config import Settings
from aicall.db.engine import Database
from aicall.errors import ApplicationNotFound, RateLimited, Unauthorized, ValidationFailed
from aicall.web import json_input
from aicall.web.json_input import PARSED_JSON
from aicall.web.rate_limit import Limiter, RateLimiter


@dataclass
class AppState:
    settings: Settings
    db: Database
    box: SecretBox
    credential_cache: account_service.CredentialCache
    rate_limiter: Limiter  # requests per application, shared by the API processes
    # Failed authentications per client address; None: not throttled.
    auth_failures: RateLimiter | None = None


def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.aicall
    return state


StateDep = Annotated[AppState, Depends(get_state)]


def _lookup(state: AppState, api_key: str) -> tokens.Credentials | None:
    hit, cached = state.credential_cache.get(api_key)
    if hit:
        return cached
    with state.db.reading() as session:
        credentials = account_service.credentials_for(session=session, box=state.box, api_key=api_key)
    state.credential_cache.put(api_key, credentials)
    return credentials


class _NotCached(Exception):
    pass


async def current_application(
    request: Request, state: StateDep, authorization: Annotated[str | None, Header()] = None
) -> tokens.Credentials:
    def from_cache(api_key: str) -> tokens.Credentials | None:
        hit, cached = state.credential_cache.get(api_key)
        if not hit:
            raise _NotCached
        return cached

    # An address that failed too often is refused before its token is even read: guessing API
    # keys (an unknown key must answer 1201, the contract's code, so it cannot be hidden) is
    # held to the throttle's rate.
    address = request.client.host if request.client else ""
    if state.auth_failures is not None:
        try:
            state.auth_failures.refuse_if_spent(address)
        except RateLimited:
            raise RateLimited(_TOO_MANY_FAILURES) from None
    try:
        token = tokens.bearer_token(authorization)
        try:
            credentials = tokens.verify(token, from_cache)
        except _NotCached:
            # First sight of this key: the database look-up must not block the event loop.
            credentials = await run_in_threadpool(tokens.verify, token, lambda key: _lookup(state, key))
    except tokens.UnknownApplication as exc:
        _failed(state, address)
        raise ApplicationNotFound() from exc
    except tokens.TokenError as exc:
        _failed(state, address)
        raise Unauthorized() from exc
    # Counted after authentication: a stranger cannot use up a customer's allowance.
    await state.rate_limiter.admit(credentials.application_id)
    return credentials


_TOO_MANY_FAILURES = "Too many failed authentications from this address: check the token, retry later"


def _failed(state: AppState, address: str) -> None:
    if state.auth_failures is not None:
        state.auth_failures.spend(address)


CurrentApp = Annotated[tokens.Credentials, Depends(current_application)]


async def json_body(request: Request) -> Any:
    """The request body's JSON value, read by `web/json_input.py` (by the request gate before
    routing, which leaves it in the scope; its size was checked by `web/body_limit.py`)."""
    if PARSED_JSON in request.scope:
        return request.scope[PARSED_JSON]
    raw = await request.body()
    if not raw.strip():
        raise ValidationFailed.sentence("", "is empty")
    return json_input.parse(raw, content_type=request.headers.get("content-type", ""))


JsonBody = Annotated[Any, Depends(json_body)]
