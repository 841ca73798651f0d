"""Fixtures of the spreadsheet import/export tests (see tests/integration/support.py)."""

from tests.integration.support import database, db, live_server, tenant

__all__ = ["database", "db", "live_server", "tenant"]
