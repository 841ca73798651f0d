"""Fixtures of the scenario API tests (see tests/integration/support.py)."""

from __future__ import annotations

import pytest

from aicall.db.engine import Database
from tests.integration.scenarios.helpers import Api
from tests.integration.support import LiveServer, Tenant, database, db, live_server, tenant

__all__ = ["api", "database", "db", "live_server", "tenant"]


@pytest.fixture
def api(live_server: LiveServer, tenant: Tenant, db: Database) -> Api:
    return Api(live_server, tenant, db)
