"""`GET /metrics` (Prometheus text format): this process's counters, then the platform's state
read from the database at scrape time (see observability.metrics for the multi-process rules)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI, Response
from prometheus_client import CollectorRegistry
from starlette.concurrency import run_in_threadpool

from aicall.campaigns import queries
from aicall.clock import Clock, utc_now
from aicall.db.engine import Database
from aicall.observability import metrics
from aicall.webhooks import service as webhook_service

__all__ = ["install", "state_reader"]


def state_reader(db: Database, clock: Clock = utc_now) -> Callable[[], metrics.PlatformState]:
    """Reads the gauges that describe the whole platform, in one read-only session."""

    def read() -> metrics.PlatformState:
        now = clock()
        with db.reading() as session:
            backlog, oldest = webhook_service.backlog(session=session, now=now)
            return metrics.PlatformState(
                contacts_waiting=queries.waiting_by_reason(session, now=now),
                campaigns=queries.campaigns_by_status(session),
                webhook_backlog=backlog,
                webhook_oldest_pending_seconds=oldest,
                balances_vnd=queries.running_balances(session),
            )

    return read


def install(app: FastAPI, db: Database) -> None:
    """Add `GET /metrics` to the app (not in the OpenAPI document: it is for Prometheus)."""
    state = CollectorRegistry(auto_describe=False)
    state.register(metrics.StateCollector(state_reader(db)))

    @app.get("/metrics", include_in_schema=False)
    async def scrape() -> Response:
        # The state is read from the database: off the event loop.
        body = await run_in_threadpool(metrics.render, state)
        return Response(body, media_type=metrics.CONTENT_TYPE)
