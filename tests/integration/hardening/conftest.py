"""Fixtures of the hardening tests (issue 11's classes of faults): a live server per database."""

from tests.integration.support import database, db, live_server, tenant

__all__ = ["database", "db", "live_server", "tenant"]
