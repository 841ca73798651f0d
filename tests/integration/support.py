"""Real databases (SQLite file and PostgreSQL), a real HTTP server, tenants: shared by API tests."""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import jwt
import pytest
import requests
import uvicorn
from fastapi import FastAPI
from sqlalchemy import create_engine, inspect, text

from aicall import all_models
from aicall.accounts import service as account_service
from aicall.accounts.secrets_box import SecretBox
from aicall.app import create_app
from aicall.campaigns import service as campaign_service
from aicall.config import Settings
from aicall.db import migrate
from aicall.db.engine import Database
from aicall.web.deps import AppState

POSTGRES_ADMIN_URL = os.environ.get(
    "AICALL_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
SECRET_KEY = "test-secret-key-not-for-production"


def _postgres_available() -> bool:
    try:
        engine = create_engine(POSTGRES_ADMIN_URL.replace("postgresql://", "postgresql+psycopg://"))
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:
        return False


def _make_postgres_database() -> str:
    name = f"aicall_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(
        POSTGRES_ADMIN_URL.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def _drop_postgres_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin = create_engine(
        POSTGRES_ADMIN_URL.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """A migrated database, once per backend for the whole run."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'aicall.db'}"
    else:
        if not _postgres_available():
            if os.environ.get("AICALL_REQUIRE_TOOLS") == "1":
                pytest.fail(f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}")
            pytest.skip("PostgreSQL is not reachable")
        url = _make_postgres_database()
    db = Database(url)
    migrate.upgrade(db.engine)
    yield db
    db.dispose()
    if request.param == "postgresql":
        _drop_postgres_database(url)


@pytest.fixture
def db(database: Database) -> Database:
    """The session's database, emptied before each test."""
    existing = set(inspect(database.engine).get_table_names())
    with database.transaction() as session:
        for table in reversed(all_models.metadata.sorted_tables):
            if table.name in existing:
                session.execute(table.delete())
    return database


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    settings: Settings
    state: AppState
    app: FastAPI


@pytest.fixture(scope="session")
def live_server(database: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The API served by a real uvicorn on a free loopback port (engine off: tests drive it)."""
    port = free_port()
    settings = Settings(
        data_dir=Path(tmp_path_factory.mktemp("data")),
        database_url=database.url,
        secret_key=SECRET_KEY,
        host="127.0.0.1",
        port=port,
        run_engine=False,
        max_contacts_per_request=10_000,
        max_body_bytes=4 * 1024 * 1024,
        # Off: the whole suite fails authentication on purpose from one address; the throttle's
        # own test gives this server a strict one (tests/integration/hardening).
        auth_failures_per_minute=0,
    )
    app = create_app(settings, db=database)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("test server did not start")
        time.sleep(0.02)
    yield LiveServer(url=f"http://127.0.0.1:{port}", settings=settings, state=app.state.aicall, app=app)
    server.should_exit = True
    thread.join(timeout=10)


@dataclass
class Tenant:
    account_id: str
    application_id: str
    api_key: str
    api_secret: str
    campaign_id: str

    def token(self, **extra: object) -> str:
        return jwt.encode({"apiKey": self.api_key, **extra}, self.api_secret, algorithm="HS256")

    def headers(self, **extra: object) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(**extra)}"}


def make_tenant(db: Database, name: str = "Tenant", **campaign_settings: object) -> Tenant:
    box = SecretBox(SECRET_KEY)
    with db.transaction() as session:
        account = account_service.create_account(session=session, name=name)
        new = account_service.create_application(session=session, box=box, account_id=account.id, name=name)
        campaign = campaign_service.create_campaign(
            session=session,
            application_id=new.application.id,
            name=f"{name} campaign",
            settings=dict(campaign_settings),
        )
    return Tenant(account.id, new.application.id, new.application.api_key, new.api_secret, campaign.id)


def add_two_contacts(server: LiveServer, tenant: Tenant) -> str:
    """POST 0915000099 and 0912000001 to the tenant's campaign; the first one's contact id."""
    body = {
        "campaign_id": tenant.campaign_id,
        "contacts": [{"phone_number": "0915000099"}, {"phone_number": "0912000001"}],
    }
    answer = requests.post(
        f"{server.url}/api/v1/public-api/campaign", json=body, headers=tenant.headers(), timeout=30
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["result"][0]["contact_id"])


def list_contacts(server: LiveServer, tenant: Tenant, **params: str) -> requests.Response:
    """GET the tenant's campaign's contacts with these query parameters (the API's own names)."""
    return requests.get(
        f"{server.url}/api/v1/public-api/campaigns/{tenant.campaign_id}/contacts",
        params=params,
        headers=tenant.headers(),
        timeout=30,
    )


@pytest.fixture
def tenant(db: Database) -> Tenant:
    return make_tenant(db)
