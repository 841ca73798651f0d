"""What every request must be before a route sees it: one gate, so no route can forget a rule.

Pure ASGI, after the body limit (`web/body_limit.py`) and before routing and authentication:

* Text no database can store (`aicall.storable`: NUL, lone surrogates) in the path, a query
  parameter or a form field: 400 naming the field, before any write.
* A JSON body (any on the public API, one that says it is JSON elsewhere) is read by
  `web/json_input.py`: not UTF-8, not JSON, nested too deep, a key given twice, `NaN`, text no
  database can store...: 400 saying what and where. Its value is left in the scope
  (`PARSED_JSON`) for the routes that read the body themselves.
* On the public API, which takes JSON only, a body whose `Content-Type` says it is something
  else: 415 (RFC 9110 §15.5.16). A missing Content-Type is read as JSON, as the seed's
  clients expect. Contact files (multipart uploads) are the one exception.

Bodies of other routes (forms) are read here whole, at most the body limit; upload routes
stream past untouched.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from email.message import Message as MimeMessage
from typing import Any
from urllib.parse import parse_qsl

from fastapi.routing import iter_route_contexts
from starlette.routing import Match, Router
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from aicall.errors import ApiError, ValidationFailed
from aicall.storable import unstorable_reason
from aicall.web import json_input
from aicall.web.body_limit import is_upload_path
from aicall.web.envelope import error_bytes
from aicall.web.json_input import MAX_JSON_DEPTH, PARSED_JSON

__all__ = ["API_PREFIX", "MAX_JSON_DEPTH", "RequestGate", "UnsupportedMediaType"]

API_PREFIX = "/api/v1/public-api/"


class UnsupportedMediaType(ApiError):
    code, http_status, message = 415, 415, "Unsupported Media Type"


class RequestGate:
    def __init__(self, app: ASGIApp, *, router: Router) -> None:
        self.app = app
        self.router = router  # to name a path parameter that holds bad text

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        unread = _has_body(scope)
        try:
            _check_query(scope)
            if scope["path"].startswith(API_PREFIX):
                _check_repeats(scope)
            if "\x00" in scope["path"]:
                raise ValidationFailed(unstorable_reason("\x00"), field=self._path_field(scope))
            if not unread or is_upload_path(scope["path"]):
                await self.app(scope, receive, send)
                return
            content_type = _header(scope, b"content-type")
            json_route = scope["path"].startswith(API_PREFIX)
            if json_route and content_type and not _is_json(content_type):
                raise UnsupportedMediaType(
                    f"Unsupported Media Type: send the body as application/json, not {content_type}"
                )
            body = await _read_body(receive)
            unread = False
            if json_route or _is_json(content_type):
                if body.strip():  # an empty body is the route's to refuse, or to ignore
                    # Read once here; the routes that read the body themselves take this value.
                    scope[PARSED_JSON] = json_input.parse(body, content_type=content_type)
            elif content_type.startswith("application/x-www-form-urlencoded"):
                _check_pairs(_form_pairs(body))
        except ApiError as exc:
            await _answer(send, exc, close=unread)
            return
        await self.app(scope, _replay(body, receive), send)

    def _path_field(self, scope: Scope) -> str:
        # Routes as FastAPI resolved them: an included router's own `matches` names no parameter.
        for route in iter_route_contexts(self.router.routes):
            match, child = route.matches(scope)
            if match is Match.FULL:
                for name, value in child.get("path_params", {}).items():
                    if isinstance(value, str) and "\x00" in value:
                        return str(name)
        return "path"


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1").strip())
    return ""


def _has_body(scope: Scope) -> bool:
    length = _header(scope, b"content-length")
    if length:
        return length != "0"
    return bool(_header(scope, b"transfer-encoding"))


def _is_json(content_type: str) -> bool:
    mime = MimeMessage()
    mime["content-type"] = content_type
    if mime.get_content_maintype() != "application":
        return False
    subtype = mime.get_content_subtype()
    return subtype == "json" or subtype.endswith("+json")


async def _read_body(receive: Receive) -> bytes:
    # Bounded by the body limit's receive, which raises PayloadTooLarge past it.
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if replayed:
            return await receive()  # http.disconnect, when the client goes
        replayed = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


def _check_query(scope: Scope) -> None:
    raw = scope.get("query_string", b"")
    if b"%00" in raw or b"\x00" in raw:
        _check_pairs(parse_qsl(raw.decode("latin-1"), keep_blank_values=True, errors="replace"))


def _check_repeats(scope: Scope) -> None:
    """The public API takes no list in its query: a parameter given twice (`?limit=5&limit=x`)
    would be read as one of its values, unsaid which. 400 naming it."""
    raw = scope.get("query_string", b"")
    if b"&" not in raw:
        return
    seen: set[str] = set()
    for name, _value in parse_qsl(raw.decode("latin-1"), keep_blank_values=True):
        if name in seen:
            raise ValidationFailed("is given more than once: send it once", field=name)
        seen.add(name)


def _form_pairs(body: bytes) -> list[tuple[str, str]]:
    return parse_qsl(body.decode("latin-1"), keep_blank_values=True, errors="replace")


def _check_pairs(pairs: Iterable[tuple[str, str]]) -> None:
    for name, value in pairs:
        for text in (name, value):
            reason = unstorable_reason(text)
            if reason is not None:
                raise ValidationFailed(reason, field=name.replace("\x00", "\\0") or "query")


async def _answer(send: Send, exc: ApiError, *, close: bool) -> None:
    body = error_bytes(exc.code, exc.message, _safe(exc.details))
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if close:
        # The body was left unread: the connection cannot carry another request (RFC 9112 §9.6).
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": exc.http_status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _safe(details: Any) -> Any:
    return json.loads(json.dumps(details)) if details is not None else None
