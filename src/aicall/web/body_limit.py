"""The request body limit, for every route, enforced before anything reads the body.

Pure ASGI (Starlette's BaseHTTPMiddleware would read through its own stream): a declared
`Content-Length` over the limit is answered 413 at once, without reading a byte of the body;
a chunked body (RFC 9112 §7.1) is counted as it arrives, and the request fails with 413 the
moment it passes the limit, so at most the limit is ever held in memory. Both happen before
authentication: a stranger cannot make the server read a large body by sending it with no
token.

Contact files (`…/import`, multipart CSV/XLSX) have their own, larger limit,
`AICALL_MAX_UPLOAD_BYTES` (plus room for the multipart framing), because a long list is larger
than a JSON request should be; `web/uploads.py` streams them to disk.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from aicall.errors import PayloadTooLarge
from aicall.web.envelope import error_bytes

__all__ = ["UPLOAD_FRAMING_BYTES", "BodyLimit", "is_upload_path"]

# Room for the multipart framing and the small text fields around an uploaded file.
UPLOAD_FRAMING_BYTES = 64 * 1024


def is_upload_path(path: str) -> bool:
    """Routes that take a contact file: the API's `/campaigns/{id}/contacts/import` and the
    dashboard's `/campaigns/{id}/import`. Every other route takes a small JSON or form body."""
    return path.rstrip("/").endswith("/import")


class BodyLimit:
    """413 in the envelope past `max_body` bytes (`max_upload` + framing on upload routes)."""

    def __init__(self, app: ASGIApp, *, max_body: int, max_upload: int) -> None:
        self.app = app
        self.max_body = max_body
        self.max_upload = max_upload

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        upload = is_upload_path(scope["path"])
        limit = self.max_upload + UPLOAD_FRAMING_BYTES if upload else self.max_body
        shown = self.max_upload if upload else self.max_body
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _refuse(send, shown, upload)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # Raised inside whoever reads: the error handler answers 413, or we do below.
                    raise PayloadTooLarge(_message(shown, upload))
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, watched_send)
        except PayloadTooLarge:
            if started:
                raise
            await _refuse(send, shown, upload)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else None
    return None


def _message(limit: int, upload: bool) -> str:
    setting = "AICALL_MAX_UPLOAD_BYTES" if upload else "AICALL_MAX_BODY_BYTES"
    return f"Request body is larger than the limit of {limit:,} bytes ({setting})"


async def _refuse(send: Send, limit: int, upload: bool) -> None:
    body = error_bytes(PayloadTooLarge.code, _message(limit, upload))
    await send(
        {
            "type": "http.response.start",
            "status": PayloadTooLarge.http_status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                # The rest of the body is never read, so this connection cannot carry another
                # request: say so (RFC 9112 §9.6) rather than reset it.
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
