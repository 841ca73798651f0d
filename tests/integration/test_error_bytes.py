"""Every error envelope is written in one format, compact UTF-8 JSON, including the answers the
ASGI middleware give before the app runs (413 body too large, 415 not JSON, 400 malformed JSON):
those were `json.dumps` with spaces while the handlers' were compact."""

from __future__ import annotations

import json

import requests

API = "/api/v1/public-api"


def compact(raw: bytes) -> bytes:
    return json.dumps(json.loads(raw), separators=(",", ":"), ensure_ascii=False).encode()


def test_413_415_and_a_malformed_body_are_written_like_a_404(live_server, tenant):
    url = live_server.url + API + "/campaign"
    headers = tenant.headers()
    answers = {
        "404": requests.get(live_server.url + API + "/campaigns/nope", headers=headers, timeout=30),
        "413": requests.post(
            url,
            data=b" " * (live_server.settings.max_body_bytes + 1),
            headers={**headers, "Content-Type": "application/json"},
            timeout=30,
        ),
        "415": requests.post(url, data=b"x", headers={**headers, "Content-Type": "text/plain"}, timeout=30),
        "400": requests.post(
            url, data=b'{"campaign_id": ', headers={**headers, "Content-Type": "application/json"}, timeout=30
        ),
    }
    for status, response in answers.items():
        assert str(response.status_code) == status, response.text
        assert response.headers["content-type"].startswith("application/json")
        assert response.content == compact(response.content), (status, response.content)
        assert response.json()["status"] == 0
        assert int(response.headers["content-length"]) == len(response.content)
