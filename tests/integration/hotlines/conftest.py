"""Fixtures of the hotline pool tests."""

from tests.integration.support import database, db, live_server, tenant

__all__ = ["database", "db", "live_server", "tenant"]
