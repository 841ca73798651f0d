"""The seed's sample clients, run as customers run them, against the running server.

Python: requests + PyJWT exactly as the seed's sample (no `iat`). Node: axios + jsonwebtoken
(`jwt.sign` adds `iat`). Each checks every field and code of CONTRACT §2."""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from pathlib import Path

import jwt
import pytest
import requests

NODE_DIR = Path(__file__).parent / "node"


def python_sample(
    base_url: str, api_key: str, api_secret: str, campaign_id: str, contacts: list
) -> requests.Response:
    access_token = jwt.encode({"apiKey": api_key}, api_secret)  # the seed's exact call
    return requests.post(
        url=f"{base_url}/api/v1/public-api/campaign",
        headers={"Authorization": f"Bearer {access_token}"},
        json={"campaign_id": campaign_id, "contacts": contacts},
        timeout=30,
    )


def node_sample(
    require_tool, base_url: str, api_key: str, api_secret: str, campaign_id: str, contacts: list
) -> tuple[int, dict]:
    node = require_tool("node")
    if not (NODE_DIR / "node_modules" / "axios").exists():
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund"],
            cwd=NODE_DIR,
            check=True,
            capture_output=True,
            timeout=300,
        )
    env = {
        **os.environ,
        "BASE_URL": base_url,
        "API_KEY": api_key,
        "API_SECRET": api_secret,
        "CAMPAIGN_ID": campaign_id,
        "CONTACTS": json.dumps(contacts),
    }
    done = subprocess.run(
        [node, "add_contacts.js"], cwd=NODE_DIR, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    return answer["http"], answer["body"]


def check_success(http: int, body: dict) -> None:
    assert http == 200
    assert body["status"] == 1
    [contact] = body["result"]
    assert set(contact) == {"contact_id", "danh_xung", "ho_ten", "so_dien_thoai"}
    assert str(uuid.UUID(contact["contact_id"])) == contact["contact_id"]
    assert contact == {
        **contact,
        "danh_xung": "Anh",
        "ho_ten": "David Thiêm",
        "so_dien_thoai": "+84987654321",
    }


SEED_CONTACT = [{"phone_number": "0987654321", "ho_ten": "David Thiêm", "danh_xung": "Anh"}]


def test_python_sample_adds_the_seed_contact(live_server, tenant):
    response = python_sample(
        live_server.url, tenant.api_key, tenant.api_secret, tenant.campaign_id, SEED_CONTACT
    )
    check_success(response.status_code, response.json())


def test_node_sample_adds_the_seed_contact(live_server, tenant, require_tool):
    http, body = node_sample(
        require_tool, live_server.url, tenant.api_key, tenant.api_secret, tenant.campaign_id, SEED_CONTACT
    )
    check_success(http, body)


@pytest.mark.parametrize("client", ["python", "node"])
def test_error_codes_reach_both_clients_in_the_envelope(live_server, tenant, require_tool, client):
    cases = [
        # (api_key, secret, campaign, contacts) -> (http, code, message)
        (
            (tenant.api_key, "wrong-secret-wrong-secret-wrong-secret", tenant.campaign_id, SEED_CONTACT),
            (401, 401, "Unauthorized"),
        ),
        (
            ("11111111-1111-1111-1111-111111111111", tenant.api_secret, tenant.campaign_id, SEED_CONTACT),
            (404, 1201, "Application is not found"),
        ),
        ((tenant.api_key, tenant.api_secret, "f" * 24, SEED_CONTACT), (404, 1401, "Campaign is not found")),
        (
            (tenant.api_key, tenant.api_secret, tenant.campaign_id, [{"phone_number": "123"}]),
            (400, 1403, "All contacts is invalid"),
        ),
    ]
    for (api_key, secret, campaign_id, contacts), (http, code, message) in cases:
        if client == "python":
            response = python_sample(live_server.url, api_key, secret, campaign_id, contacts)
            got_http, body = response.status_code, response.json()
        else:
            got_http, body = node_sample(
                require_tool, live_server.url, api_key, secret, campaign_id, contacts
            )
        assert got_http == http
        assert body["status"] == 0
        assert body["code"] == code
        assert body["message"] == message
