"""The AICall response envelope and the single place errors become HTTP answers."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from aicall.errors import ApiError, ValidationFailed

log = logging.getLogger("aicall.web")


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


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        headers = {"Retry-After": "1"} if exc.http_status == 429 else None
        return JSONResponse(
            error_body(exc.code, exc.message, exc.details), status_code=exc.http_status, headers=headers
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI says where the value came from ("body", "query"); the field name is enough.
        errors = [{**err, "loc": tuple(err["loc"])[1:]} for err in exc.errors()]
        failed = ValidationFailed.from_errors(errors)
        return JSONResponse(error_body(failed.code, failed.message, failed.details), status_code=400)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(error_body(exc.status_code, str(exc.detail)), status_code=exc.status_code)

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.error("unexpected error", exc_info=exc)
        return JSONResponse(error_body(500, "Internal server error"), status_code=500)
