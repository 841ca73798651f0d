"""Dependencies every router shares: the database, the caller's application, the raw body."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from starlette.concurrency import run_in_threadpool

from aicall.accounts import service as account_service
from aicall.accounts import tokens
from aicall.accounts.secrets_box import SecretBox
from aicall.config import Settings
from aicall.db.engine import Database
from aicall.errors import ApplicationNotFound, PayloadTooLarge, Unauthorized, ValidationFailed
from aicall.web.rate_limit import RateLimiter


@dataclass
class AppState:
    settings: Settings
    db: Database
    box: SecretBox
    credential_cache: account_service.CredentialCache
    rate_limiter: RateLimiter


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
    state: StateDep, authorization: Annotated[str | None, Header()] = None
) -> tokens.Credentials:
    def from_cache(api_key: str) -> tokens.Credentials | None:
        hit, cached = state.credential_cache.get(api_key)
        if not hit:
            raise _NotCached
        return cached

    try:
        token = tokens.bearer_token(authorization)
        try:
            credentials = tokens.verify(token, from_cache)
        except _NotCached:
            # First sight of this key: the database look-up must not block the event loop.
            credentials = await run_in_threadpool(tokens.verify, token, lambda key: _lookup(state, key))
    except tokens.UnknownApplication as exc:
        raise ApplicationNotFound() from exc
    except tokens.TokenError as exc:
        raise Unauthorized() from exc
    # Counted after authentication: a stranger cannot use up a customer's allowance.
    state.rate_limiter.check(credentials.application_id)
    return credentials


CurrentApp = Annotated[tokens.Credentials, Depends(current_application)]


async def json_body(request: Request, state: StateDep) -> Any:
    """The request body as JSON, with the size limit, strict UTF-8 and clear errors."""
    limit = state.settings.max_body_bytes
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"Request body is larger than the limit of {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"Request body is larger than the limit of {limit} bytes")
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw.strip():
        raise ValidationFailed("the request body is empty")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationFailed(f"the request body is not valid UTF-8 (byte {exc.start})") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationFailed(f"malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from exc


JsonBody = Annotated[Any, Depends(json_body)]
