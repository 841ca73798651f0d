"""Issue 11, class 7: the small leaks. 415 for a body that is not JSON, `Allow` on 405,
`Connection: close` after a 500, security headers, no-store on answers with secrets, the
SQLite file 0600, and failed authentications throttled per address while an unknown API key
keeps the contract's 1201."""

from __future__ import annotations

import http.client
import stat
from pathlib import Path
from urllib.parse import urlsplit

import jwt
import pytest
import requests

from aicall.campaigns import queries
from aicall.config import Settings
from aicall.db.engine import Database
from aicall.web.rate_limit import RateLimiter
from tests.integration.hardening.helpers import API
from tests.integration.support import LiveServer, Tenant


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml"],
)
@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/campaign"), ("POST", "/campaigns"), ("PUT", "/webhooks"), ("POST", "/scenarios")],
)
def test_a_json_endpoint_given_another_content_type_answers_415(
    live_server: LiveServer, tenant: Tenant, content_type: str, method: str, path: str
):
    answer = requests.request(
        method,
        live_server.url + API + path,
        data=b'{"name": "x"}',
        headers={**tenant.headers(), "Content-Type": content_type},
        timeout=30,
    )
    assert answer.status_code == 415, answer.text
    assert answer.json() == {
        "status": 0,
        "code": 415,
        "message": f"Unsupported Media Type: send the body as application/json, not {content_type}",
    }


@pytest.mark.parametrize(
    "content_type", [None, "application/json", "application/json; charset=utf-8", "application/vnd.api+json"]
)
def test_json_or_no_content_type_is_read_as_json(live_server: LiveServer, tenant: Tenant, content_type):
    headers = tenant.headers()
    if content_type:
        headers["Content-Type"] = content_type
    body = (
        b'{"campaign_id": "%s", "contacts": [{"phone_number": "0987654321"}]}' % tenant.campaign_id.encode()
    )
    answer = requests.post(f"{live_server.url}{API}/campaign", data=body, headers=headers, timeout=30)
    assert answer.status_code == 200, answer.text


def test_405_names_the_allowed_methods(live_server: LiveServer, tenant: Tenant):
    answer = requests.delete(f"{live_server.url}{API}/campaigns", headers=tenant.headers(), timeout=30)
    assert answer.status_code == 405
    assert set(answer.headers["Allow"].replace(" ", "").split(",")) == {"GET", "POST"}
    assert answer.json()["status"] == 0


def test_a_500_closes_the_connection_and_says_so(live_server: LiveServer, tenant: Tenant, monkeypatch):
    def broken(*_args, **_kwargs):
        raise RuntimeError("a fault on our side")

    monkeypatch.setattr(queries, "list_campaigns", broken)
    parts = urlsplit(live_server.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.request("GET", f"{API}/campaigns", headers=tenant.headers())
        answer = connection.getresponse()
        body = answer.read()
        assert answer.status == 500, body
        assert answer.getheader("Connection") == "close"
        assert b'"status":0' in body
    finally:
        connection.close()


def test_security_headers_on_api_answers_and_pages(live_server: LiveServer, tenant: Tenant):
    api = requests.get(f"{live_server.url}{API}/webhooks", headers=tenant.headers(), timeout=30)
    assert api.status_code == 200
    assert "signing_secret" in api.text or "secret" in api.text  # an answer that carries a secret
    assert api.headers["X-Content-Type-Options"] == "nosniff"
    assert api.headers["Referrer-Policy"] == "same-origin"
    assert api.headers["Cache-Control"] == "no-store"
    refused = requests.get(f"{live_server.url}{API}/webhooks", timeout=30)  # errors too
    assert refused.headers["X-Content-Type-Options"] == "nosniff"
    assert refused.headers["Cache-Control"] == "no-store"
    for path in ("/login", "/docs"):
        page = requests.get(live_server.url + path, timeout=30)
        assert page.status_code == 200, path
        csp = page.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "script-src" not in csp or "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
        assert page.headers["X-Content-Type-Options"] == "nosniff"
    static = requests.get(live_server.url + "/static/app.css", timeout=30)
    assert static.status_code == 200
    assert "no-store" not in static.headers.get("Cache-Control", "")


def test_the_sqlite_file_is_created_readable_by_its_owner_only(tmp_path: Path):
    settings = Settings(data_dir=tmp_path / "var")
    database = Database(settings.resolved_database_url)
    try:
        with database.transaction() as session:
            session.connection().exec_driver_sql("CREATE TABLE t (x INTEGER)")
        path = tmp_path / "var" / "aicall.db"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        for extra in path.parent.glob("aicall.db-*"):  # WAL and shared-memory files alike
            assert stat.S_IMODE(extra.stat().st_mode) & 0o077 == 0, extra
    finally:
        database.dispose()


def test_failed_authentications_are_throttled_per_address_and_unknown_keys_keep_1201(
    live_server: LiveServer, tenant: Tenant
):
    live_server.state.auth_failures = RateLimiter(rate=0.001, burst=5)
    try:
        url = f"{live_server.url}{API}/campaigns"
        unknown = jwt.encode(
            {"apiKey": "not-a-key"}, "a secret of thirty-two bytes, or more", algorithm="HS256"
        )
        for _ in range(3):
            answer = requests.get(url, headers={"Authorization": f"Bearer {unknown}"}, timeout=30)
            assert answer.status_code == 404 and answer.json()["code"] == 1201
        for _ in range(2):
            assert requests.get(url, headers={"Authorization": "Bearer nope"}, timeout=30).status_code == 401
        throttled = requests.get(url, headers={"Authorization": f"Bearer {unknown}"}, timeout=30)
        assert throttled.status_code == 429
        assert throttled.json()["code"] == 429 and "failed authentications" in throttled.json()["message"]
        assert throttled.headers["Retry-After"] == "1"
        # The address is refused before its token is read: a right guess does not get through.
        assert requests.get(url, headers=tenant.headers(), timeout=30).status_code == 429
    finally:
        live_server.state.auth_failures = None


def test_successful_authentications_are_not_counted(live_server: LiveServer, tenant: Tenant):
    live_server.state.auth_failures = RateLimiter(rate=0.001, burst=2)
    try:
        for _ in range(10):
            assert requests.get(f"{live_server.url}{API}/campaigns", headers=tenant.headers(), timeout=30).ok
    finally:
        live_server.state.auth_failures = None
