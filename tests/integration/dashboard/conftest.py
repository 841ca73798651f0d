"""Fixtures of the dashboard tests: the real databases and the live server of tests/integration."""

from tests.integration.support import database, db, live_server, tenant

__all__ = ["database", "db", "live_server", "tenant"]
