"""Contract tests reuse the integration fixtures: real databases, a real uvicorn server."""

from tests.integration.support import database, db, live_server, tenant

__all__ = ["database", "db", "live_server", "tenant"]
