"""Issue 11, class 4: a JSON body nested too deep is a 400, on every JSON endpoint, whatever
parses it (the route's own parser, pydantic, FastAPI's body reader)."""

from __future__ import annotations

import pytest
import requests

from tests.integration.hardening.helpers import API
from tests.integration.support import LiveServer, Tenant

PATHS = [
    ("POST", "/campaign"),
    ("POST", "/campaigns"),
    ("POST", "/sip-trunks"),
    ("POST", "/hotline-pools"),
    ("POST", "/scenarios"),
    ("PUT", "/webhooks"),
]


def _deep(levels: int) -> bytes:
    return b"[" * levels + b"]" * levels


@pytest.mark.parametrize(("method", "path"), PATHS)
@pytest.mark.parametrize(
    "body",
    [
        _deep(1000),
        _deep(100_000),
        b'{"name": "x", "settings": ' + b'{"a": ' * 40 + b"1" + b"}" * 40 + b"}",
        b'{"campaign_id": "x", "contacts": [{"phone_number": "0987654321", "ghi_chu": ' + _deep(50) + b"}]}",
    ],
    ids=["1000-arrays", "100000-arrays", "deep-settings", "deep-tag"],
)
def test_deep_nesting_is_refused_with_400(live_server: LiveServer, tenant: Tenant, method, path, body):
    answer = requests.request(
        method,
        live_server.url + API + path,
        data=body,
        headers={**tenant.headers(), "Content-Type": "application/json"},
        timeout=30,
    )
    assert answer.status_code == 400, answer.text
    payload = answer.json()
    assert payload["status"] == 0 and payload["code"] == 400
    assert "nested more than 32 levels" in payload["message"]


def test_brackets_inside_strings_are_not_nesting(live_server: LiveServer, tenant: Tenant):
    answer = requests.post(
        f"{live_server.url}{API}/campaign",
        json={
            "campaign_id": tenant.campaign_id,
            "contacts": [{"phone_number": "0987654321", "ghi_chu": "[{" * 900}],
        },
        headers=tenant.headers(),
        timeout=30,
    )
    assert answer.status_code == 200, answer.text


def test_an_integer_too_long_to_convert_is_a_400_not_a_500(live_server: LiveServer, tenant: Tenant):
    body = b'{"campaign_id": "x", "contacts": [{"phone_number": ' + b"9" * 5000 + b"}]}"
    for path in ("/campaign", "/campaigns"):
        answer = requests.post(
            live_server.url + API + path,
            data=body,
            headers={**tenant.headers(), "Content-Type": "application/json"},
            timeout=30,
        )
        assert answer.status_code == 400, (path, answer.text)
        assert answer.json()["status"] == 0
