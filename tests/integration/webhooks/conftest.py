"""Fixtures of the webhook tests (see tests/integration/support.py and helpers.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from aicall.db.engine import Database
from aicall.webhooks.testing import MovableClock, WebhookReceiver
from tests.integration.support import Tenant, database, db, live_server, tenant
from tests.integration.webhooks.helpers import Hooked, configure

__all__ = ["clock", "database", "db", "hooked", "live_server", "receiver", "tenant"]


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as running:
        yield running


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def hooked(db: Database, tenant: Tenant, receiver: WebhookReceiver) -> Hooked:
    return Hooked(tenant, receiver, configure(db, tenant.application_id, receiver.url))
