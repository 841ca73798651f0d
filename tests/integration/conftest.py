"""Fixtures of the integration tests (see support.py for what they build)."""

from tests.integration.support import database, db, live_server, tenant

__all__ = ["database", "db", "live_server", "tenant"]
