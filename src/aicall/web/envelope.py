"""The AICall response envelope and the single place errors become HTTP answers."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from aicall.db import faults
from aicall.errors import ApiError, StorageUnavailable, ValidationFailed
from aicall.observability.logging import get_logger
from aicall.web import json_input

log = logging.getLogger("aicall.web")
slog = get_logger("aicall.web")
STORAGE_RETRY_AFTER = 5  # seconds a client is asked to wait after a 503 of the storage

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class SafeJSONResponse(JSONResponse):
    """JSON answers that survive a stored string with no UTF-8 form.

    Input is checked (`web/request_gate.py`), but a row written before that check, or by
    another tool, may hold a lone surrogate; encoding it failed the whole answer, so one such
    contact made its campaign's contact list unreadable. It is shown as U+FFFD instead (the
    Unicode replacement character, for exactly this), and logged.
    """

    def render(self, content: Any) -> bytes:
        try:
            return super().render(content)
        except UnicodeEncodeError:
            log.warning("an answer held text with no UTF-8 form; shown as U+FFFD")
            return super().render(_replace_surrogates(content))


def _replace_surrogates(value: Any) -> Any:
    if isinstance(value, str):
        return _LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_replace_surrogates(k): _replace_surrogates(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_replace_surrogates(item) for item in value]
    return value


def ok(result: Any = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"status": 1}
    if result is not None:
        body["result"] = result
    body.update(extra)
    return body


def error_body(code: int, message: str, details: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {"status": 0, "code": code, "message": message}
    if details is not None:
        body["details"] = details
    return body


def error_bytes(code: int, message: str, details: Any = None) -> bytes:
    """An error envelope as the bytes every handler's response carries (Starlette's compact,
    UTF-8 JSON), for the ASGI middleware that answer before the app (413, 415, a bad body):
    a client comparing bodies, or parsing them strictly, sees one format."""
    return bytes(SafeJSONResponse(error_body(code, message, details)).body)


# After a fault on our side the connection's state is unknown: close it, and say so
# (RFC 9112 §9.6), rather than let the client find a reset keep-alive connection.
_CLOSE = {"Connection": "close"}


def _allowed_methods(request: Request) -> list[str]:
    """Every method the request's path answers (RFC 9110 §15.5.6: a 405 lists them in `Allow`).

    Starlette names only the methods of the first route matching the path; GET and POST of one
    path are often two routes. A path that is a resource of its own (`/webhooks/events/
    replay-failed`) also matches a sibling's parameter (`/webhooks/events/{event_id}`): the
    routes with the fewest parameters are the resource's, as the OpenAPI document lists it."""
    allowed: dict[int, set[str]] = {}
    # The routed scope holds the parameters of the route tried first; each match adds its own.
    scope = {**request.scope, "path_params": {}}
    for route in iter_route_contexts(request.app.router.routes):
        match, child = route.matches(scope)
        if match is not Match.NONE and route.methods:
            allowed.setdefault(len(child.get("path_params", {})), set()).update(route.methods)
    return sorted(allowed[min(allowed)]) if allowed else []


# What pydantic says of a body that is not an object, and of no body at all: the message
# add-contacts gives (`the request body must be a JSON object`) is said for every route.
_NOT_AN_OBJECT = frozenset({"model_attributes_type", "dict_type", "model_type"})


def validation_failed(exc: RequestValidationError) -> ValidationFailed:
    """FastAPI's validation errors as ours: fields named by their path (FastAPI's "body" or
    "query" before it left out), a body that is no JSON, no object or nothing said as such."""
    errors = exc.errors()
    first = errors[0] if errors else {}
    if first.get("type") == "json_invalid":
        # Only the character offset is in the error; the text it points into is `exc.body`.
        position = int(first["loc"][-1]) if isinstance(first["loc"][-1], int) else 0
        reason = str(first.get("ctx", {}).get("error", "JSON decode error"))
        return json_input.not_json(json.JSONDecodeError(reason, str(exc.body or ""), position))
    if tuple(first.get("loc", ())) == ("body",):
        if first.get("type") == "missing":
            return ValidationFailed.sentence("", "is empty")
        if first.get("type") in _NOT_AN_OBJECT:
            return ValidationFailed.sentence("", "must be a JSON object")
    return ValidationFailed.from_errors([{**err, "loc": tuple(err["loc"])[1:]} for err in errors])


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        headers = {"Retry-After": "1"} if exc.http_status == 429 else {}
        if isinstance(exc, StorageUnavailable):
            headers["Retry-After"] = str(STORAGE_RETRY_AFTER)
        if exc.http_status >= 500:
            headers.update(_CLOSE)
        return SafeJSONResponse(
            error_body(exc.code, exc.message, exc.details), status_code=exc.http_status, headers=headers
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        failed = validation_failed(exc)
        return SafeJSONResponse(error_body(failed.code, failed.message, failed.details), status_code=400)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(_allowed_methods(request))
        return SafeJSONResponse(
            error_body(exc.status_code, str(exc.detail)), status_code=exc.status_code, headers=headers
        )

    @app.exception_handler(DBAPIError)
    async def _database(request: Request, exc: DBAPIError) -> JSONResponse:
        state = getattr(request.app.state, "aicall", None)
        path = faults.sqlite_path(state.db.url) if state is not None else None
        reason = faults.storage_fault(exc, path=path)
        if reason is None:
            return await _unexpected(request, exc)
        slog.error(
            "database unavailable",
            reason=reason,
            method=request.method,
            path=request.url.path,
            error=str(exc)[:300],
        )
        failed = StorageUnavailable(f"Service unavailable: {reason}; nothing was stored, try again later")
        return await _api_error(request, failed)

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.error("unexpected error", exc_info=exc)
        return SafeJSONResponse(error_body(500, "Internal server error"), status_code=500, headers=_CLOSE)
