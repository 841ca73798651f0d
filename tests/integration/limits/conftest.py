"""Fixtures of the shared-limit tests: both databases (tests/integration/support.py)."""

from tests.integration.support import database, db, tenant

__all__ = ["database", "db", "tenant"]
