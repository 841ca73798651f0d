"""Issue 11, class 1: no route reads a body past AICALL_MAX_BODY_BYTES, with or without a token,
declared or chunked; the answer is 413 in the envelope, before the rest is read."""

from __future__ import annotations

import pytest
import requests

from tests.integration.hardening.helpers import API, body_routes, send_chunks_without_end, send_head_only
from tests.integration.support import LiveServer, Tenant


def _assert_413(answer, limit_setting: str = "AICALL_MAX_BODY_BYTES") -> None:
    assert answer.status == 413, answer
    body = answer.json()
    assert body["status"] == 0 and body["code"] == 413
    assert limit_setting in body["message"]


def test_every_route_refuses_a_declared_body_over_the_limit_without_reading_it(live_server: LiveServer):
    limit = live_server.settings.max_body_bytes
    routes = [(m, p) for m, p in body_routes(live_server) if not p.endswith("/import")]
    assert len(routes) > 20  # every POST/PUT/DELETE of the API and the dashboard
    for method, path in routes:
        # No token, and no body after the headers: a server that reads first waits forever.
        answer = send_head_only(
            live_server, method, path, {"Content-Length": str(limit + 1), "Content-Type": "application/json"}
        )
        _assert_413(answer)
        assert answer.headers.get("connection") == "close", (method, path)


@pytest.mark.parametrize(
    "path", [f"{API}/campaigns", f"{API}/hotline-pools", f"{API}/sip-trunks", f"{API}/campaign", "/login"]
)
def test_a_chunked_body_is_refused_once_past_the_limit_before_authentication(live_server: LiveServer, path):
    limit = live_server.settings.max_body_bytes
    # The body is never finished: only a server that stops at the limit can answer at all.
    answer = send_chunks_without_end(
        live_server, "POST", path, {"Content-Type": "application/json"}, limit * 2
    )
    _assert_413(answer)


def test_upload_routes_have_their_own_larger_limit(live_server: LiveServer, tenant: Tenant):
    body_limit = live_server.settings.max_body_bytes
    upload_limit = live_server.settings.max_upload_bytes
    assert upload_limit > body_limit
    path = f"{API}/campaigns/{tenant.campaign_id}/contacts/import"
    over_upload = send_head_only(
        live_server, "POST", path, {"Content-Length": str(upload_limit + 1024 * 1024)}
    )
    _assert_413(over_upload, "AICALL_MAX_UPLOAD_BYTES")
    # Past the JSON limit yet within the upload limit: read, as a file (here: not multipart).
    row = b"0987654321," + b"x" * 1000 + b"\n"
    files = {"file": ("contacts.csv", b"phone_number,ghi_chu\n" + row * (body_limit // len(row) + 10))}
    answer = requests.post(live_server.url + path, files=files, headers=tenant.headers(), timeout=60)
    assert answer.status_code != 413, answer.text


def test_a_body_within_the_limit_is_still_read(live_server: LiveServer, tenant: Tenant):
    contacts = [{"phone_number": "0987654321", "ghi_chu": "x" * 1000}]
    answer = requests.post(
        f"{live_server.url}{API}/campaign",
        json={"campaign_id": tenant.campaign_id, "contacts": contacts},
        headers=tenant.headers(),
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
