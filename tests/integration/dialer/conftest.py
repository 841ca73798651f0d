"""Fixtures of the dialer tests (see support.py in this folder)."""

from tests.integration.support import database, db, live_server, tenant

__all__ = ["database", "db", "live_server", "tenant"]
