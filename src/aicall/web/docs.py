"""/docs: Swagger UI on the API's own OpenAPI document, served from files vendored in the
package (scripts/vendor-static), so it works with no Internet access and no CDN."""

from __future__ import annotations

from html import escape
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

__all__ = ["ASSETS", "SWAGGER_UI_VERSION", "install"]

SWAGGER_UI_VERSION = "5.35.0"  # scripts/vendor-static fetches this version: change both together
ASSETS = "/docs/assets"
_STATIC = Path(__file__).parent / "static" / "swagger-ui"

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="icon" type="image/png" href="{assets}/favicon-32x32.png">
<link rel="stylesheet" href="{assets}/swagger-ui-{version}.css">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{openapi_url}"></div>
<script src="{assets}/swagger-ui-bundle-{version}.js"></script>
<script src="{assets}/aicall-docs.js"></script>
</body>
</html>
"""


def install(app: FastAPI) -> None:
    """Add GET /docs and its assets to `app` (made with `docs_url=None`)."""
    app.mount(ASSETS, StaticFiles(directory=_STATIC), name="docs-assets")
    page = _PAGE.format(
        title=escape(f"{app.title} {app.version}: API"),
        assets=ASSETS,
        version=SWAGGER_UI_VERSION,
        openapi_url=escape(app.openapi_url or "/openapi.json"),
    )

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return HTMLResponse(page)
