"""Headers every answer carries, set in one place (OWASP Secure Headers Project).

* `X-Content-Type-Options: nosniff` everywhere: a browser never reads a JSON answer or a WAV
  file as a page or a script.
* `Referrer-Policy: same-origin`: links leaving the dashboard do not hand over its URLs (the
  preview audio links carry a signature); the dashboard's own language switch still reads
  the referrer it needs.
* `Cache-Control: no-store` on every public API answer and every dashboard page unless the
  route chose its own (audio previews): API answers carry API secrets, webhook signing
  secrets and customers' personal data, none of which belongs in a shared or disk cache.
* A Content-Security-Policy on HTML pages (CSP Level 3): the dashboard and /docs serve their
  own scripts and styles (/static, /docs/assets), so scripts are `'self'` only and an injected
  `<script>` or `onclick=` does not run. Styles allow inline `style=` attributes, which htmx,
  Swagger UI and the templates use; images allow `data:` URLs (inline icons); `<audio>` plays
  our own files; forms post only to us; no page may be framed (clickjacking).
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["CSP", "SecurityHeaders"]

CSP = (
    "default-src 'self'; img-src 'self' data:; media-src 'self'; style-src 'self' 'unsafe-inline'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


class SecurityHeaders:
    def __init__(self, app: ASGIApp, *, api_prefix: str) -> None:
        self.app = app
        self.api_prefix = api_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "same-origin")
                html = headers.get("content-type", "").startswith("text/html")
                if html:
                    headers.setdefault("Content-Security-Policy", CSP)
                if html or path.startswith(self.api_prefix):
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)
