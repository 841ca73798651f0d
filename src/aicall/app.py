"""ASGI factory. In embedded mode the lifespan also runs the engine (dialer, webhooks)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from aicall import __version__
from aicall.accounts import views as account_views
from aicall.accounts.secrets_box import SecretBox
from aicall.accounts.service import CredentialCache
from aicall.calls import views as call_views
from aicall.campaigns import views as campaign_views
from aicall.compliance import views as compliance_views
from aicall.config import Settings, get_settings
from aicall.dashboard import routes as dashboard
from aicall.db.engine import Database
from aicall.db.limits import SharedBuckets
from aicall.dialer.shutdown import Shutdown
from aicall.engine import Engine
from aicall.hotlines import views as hotline_views
from aicall.scenarios import views as scenario_views
from aicall.web import docs, openapi
from aicall.web import metrics as metrics_endpoint
from aicall.web.body_limit import BodyLimit
from aicall.web.deps import AppState
from aicall.web.envelope import SafeJSONResponse, install_error_handlers
from aicall.web.rate_limit import RateLimiter, SharedRateLimiter
from aicall.web.request_gate import API_PREFIX, RequestGate
from aicall.web.security_headers import SecurityHeaders
from aicall.webhooks import outbox
from aicall.webhooks import views as webhook_views


def create_app(
    settings: Settings | None = None, *, db: Database | None = None, shutdown: Shutdown | None = None
) -> FastAPI:
    """The ASGI app. `shutdown`: the server's signals (`aicall serve`), so the engine stops
    claiming at the first one rather than when the lifespan ends."""
    settings = settings or get_settings()
    database = db or Database(settings.resolved_database_url, synchronous=settings.sqlite_synchronous)
    if db is None:
        outbox.set_notify(database, settings.pg_notify)
    secret_key = settings.ensure_secret_key()
    state = AppState(
        settings=settings,
        db=database,
        box=SecretBox(secret_key),
        credential_cache=CredentialCache(),
        rate_limiter=SharedRateLimiter(
            SharedBuckets(database), settings.rate_limit_per_second, 2 * settings.rate_limit_per_second
        ),
        auth_failures=RateLimiter(settings.auth_failures_per_minute / 60, settings.auth_failures_per_minute)
        if settings.auth_failures_per_minute
        else None,
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        engine = (
            Engine(settings=settings, db=database, box=state.box, shutdown=shutdown)
            if settings.run_engine
            else None
        )
        if engine is not None:
            await engine.start()
        try:
            yield
        finally:
            if engine is not None:
                await engine.stop()
            if db is None:
                database.dispose()

    app = FastAPI(
        title="aicall",
        version=__version__,
        description="Self-hostable outbound calling, compatible with the AICall Cloud public API.",
        lifespan=lifespan,
        default_response_class=SafeJSONResponse,
        openapi_tags=openapi.TAGS,
        generate_unique_id_function=openapi.operation_id,
        docs_url=None,  # served by aicall.web.docs from vendored files, not a CDN
        redoc_url=None,
    )
    app.state.aicall = state
    install_error_handlers(app)
    openapi.install(app)
    docs.install(app)

    @app.get(
        "/healthz",
        tags=["health"],
        summary="Liveness: the process answers",
        **openapi.answers(openapi.Envelope[openapi.Health]),
    )
    async def healthz() -> dict[str, object]:
        return {"status": 1, "result": {"ok": True, "version": __version__}}

    app.include_router(campaign_views.router)
    app.include_router(account_views.router)
    app.include_router(hotline_views.router)
    app.include_router(call_views.router)
    app.include_router(scenario_views.router)
    app.include_router(webhook_views.router)
    app.include_router(compliance_views.router)
    metrics_endpoint.install(app, database)  # GET /metrics for Prometheus (docs/observability.md)
    # The operators' pages share the process, port and services of the API (issue 10).
    dashboard.install(app, secret_key=secret_key, https_only=settings.base_url.startswith("https://"))
    # Outermost last: headers on every answer, then the body limit, then the request gate, all
    # before routing and authentication.
    app.add_middleware(RequestGate, router=app.router)
    app.add_middleware(BodyLimit, max_body=settings.max_body_bytes, max_upload=settings.max_upload_bytes)
    app.add_middleware(SecurityHeaders, api_prefix=API_PREFIX)
    return app
