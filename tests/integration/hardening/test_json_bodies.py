"""A JSON body that is not what RFC 8259 calls JSON is refused in one message on every endpoint,
saying what is wrong and where (web/json_input.py). Found sweeping bad bodies: FastAPI's own
parser answered a truncated body with `details: [{"field": "[27]"}]`, a Latin-1 byte with
"There was an error parsing the body", and read UTF-16 (its `\\u0000` stored); a key sent twice
was read as its last value."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from sqlalchemy import func, select

from aicall.campaigns.models import Campaign
from aicall.db.engine import Database
from tests.integration.hardening.helpers import API
from tests.integration.support import LiveServer, Tenant

# (method, path, a valid body): every kind of route, those FastAPI parses (a pydantic body) and
# those that read the body themselves.
ENDPOINTS = [
    ("POST", "/campaign", b'{"campaign_id": "x", "contacts": [{"phone_number": "0987654321"}]}'),
    ("POST", "/campaigns", b'{"name": "c", "settings": {"max_concurrent": 5}}'),
    ("POST", "/scenarios", b'{"name": "s", "tags": ["a"]}'),
    ("POST", "/hotline-pools", b'{"key": "P", "numbers": ["02473001234"]}'),
    ("PUT", "/webhooks", b'{"webhookEvents": ["contact.finished"]}'),
    ("POST", "/sip-trunks", b'{"host": "sip.example.net", "port": 5060}'),
]
IDS = [f"{method} {path}" for method, path, _ in ENDPOINTS]


def send(server: LiveServer, tenant: Tenant, method: str, path: str, body: bytes) -> dict[str, Any]:
    answer = requests.request(
        method,
        server.url + API + path,
        data=body,
        headers={**tenant.headers(), "Content-Type": "application/json"},
        timeout=30,
    )
    assert answer.status_code == 400, answer.text
    payload: dict[str, Any] = answer.json()
    assert (payload["status"], payload["code"]) == (0, 400)
    return payload


def body_error(payload: dict[str, Any], reason: str) -> None:
    """The error of a body as a whole: its field is `""`, as add-contacts names the body."""
    assert payload["message"] == f"Validation Failed: the request body {reason}"
    assert payload["details"] == [{"field": "", "message": reason}]


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS, ids=IDS)
def test_a_body_cut_short_says_where_the_json_stops(live_server, tenant, method, path, body):
    payload = send(live_server, tenant, method, path, body[:-7])
    assert payload["message"].startswith(
        "Validation Failed: the request body is not valid JSON at line 1 column "
    )
    assert payload["message"].endswith("(the body ends before the JSON does: was it cut short?)")
    assert payload["details"] == [{"field": "", "message": payload["message"].split("body ", 1)[1]}]


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS, ids=IDS)
def test_a_syntax_error_inside_the_body_names_its_line_and_column(live_server, tenant, method, path, body):
    broken = b"{\n  " + body[1:].replace(b'"', b"'", 1)  # the first key in single quotes, on line 2
    payload = send(live_server, tenant, method, path, broken)
    body_error(
        payload, "is not valid JSON at line 2 column 3: Expecting property name enclosed in double quotes"
    )


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS, ids=IDS)
def test_a_body_not_in_utf8_says_it_must_be_and_where_the_byte_is(live_server, tenant, method, path, body):
    latin1 = body.replace(b"{", '{"ghi_chú": "é",\n '.encode("latin-1"), 1)
    payload = send(live_server, tenant, method, path, latin1)
    body_error(payload, "must be UTF-8: byte 0xFA at line 1 column 9 is not UTF-8")


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS, ids=IDS)
def test_a_body_in_utf16_is_refused_as_not_utf8(live_server, tenant, method, path, body):
    text = body.decode()
    payload = send(live_server, tenant, method, path, text.encode("utf-16-le"))
    body_error(
        payload, "must be UTF-8: byte 0x00 at line 1 column 2 is a NUL byte, as in UTF-16 or UTF-32 text"
    )
    payload = send(live_server, tenant, method, path, text.encode("utf-16"))
    body_error(payload, "must be UTF-8: it starts with the byte order mark of UTF-16 or UTF-32")


def test_a_nul_escape_in_a_utf16_body_is_not_stored(live_server, tenant, db: Database):
    # Python's parser read UTF-16 by itself, so the gate's look for `\u0000` saw no such escape.
    before = _campaigns(db)
    payload = send(live_server, tenant, "POST", "/campaigns", '{"name": "x\\u0000y"}'.encode("utf-16-le"))
    assert "UTF-8" in payload["message"]
    assert _campaigns(db) == before


def _campaigns(db: Database) -> int:
    with db.reading() as session:
        return int(session.scalar(select(func.count()).select_from(Campaign)) or 0)


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS, ids=IDS)
def test_a_key_given_twice_is_refused_naming_it(live_server, tenant, method, path, body):
    key = body.split(b'"', 2)[1]
    twice = body.replace(b"{", b'{"' + key + b'": "first", ', 1)
    payload = send(live_server, tenant, method, path, twice)
    reason = "is given more than once in one object: send it once"
    assert payload["message"] == f"Validation Failed: {key.decode()}: {reason}"
    assert payload["details"] == [{"field": key.decode(), "message": reason}]


def test_a_key_given_twice_deep_in_the_body_is_named_by_its_path(live_server, tenant):
    body = b'{"campaign_id": "x", "contacts": [{"phone_number": "1"}, {"ho_ten": "a", "ho_ten": "b"}]}'
    payload = send(live_server, tenant, "POST", "/campaign", body)
    assert payload["details"][0]["field"] == "contacts[1].ho_ten"


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("PUT", "/webhooks", b'{"webhookUrl": null, "webhook_url": "https://example.com/h"}', "webhookUrl"),
        ("POST", "/campaigns", b'{"name": "c", "scenarioId": null, "scenario_id": "abc"}', "scenarioId"),
        ("POST", "/campaigns", b'{"name": "c", "settings": {"maxConcurrent": 2, "max_concurrent": 5}}',
         "settings.maxConcurrent"),
    ],
)  # fmt: skip
def test_a_field_under_both_its_spellings_is_refused_naming_both(
    live_server, tenant, method, path, body, field
):
    # One spelling silently won (PUT /webhooks kept the camelCase one) or the other was called extra.
    payload = send(live_server, tenant, method, path, body)
    snake = field.rsplit(".", 1)[-1]
    snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in snake)
    reason = f"and {snake!r} name the same field: send one of them"
    assert payload["details"] == [{"field": field, "message": reason}]


def test_keys_in_lower_case_or_camel_case_alone_are_not_twins(live_server, tenant):
    answer = requests.post(
        live_server.url + API + "/campaigns",
        json={"name": "c", "scenarioId": None, "settings": {"maxConcurrent": 2, "callsPerSecond": 1}},
        headers=tenant.headers(),
        timeout=30,
    )
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS, ids=IDS)
def test_an_integer_too_long_to_read_is_refused_naming_its_field(live_server, tenant, method, path, body):
    long = body.replace(b"{", b'{"n": ' + b"7" * 5000 + b", ", 1)
    payload = send(live_server, tenant, method, path, long)
    assert payload["details"] == [
        {"field": "n", "message": "is a number of 5,000 digits, longer than any field takes"}
    ]


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS, ids=IDS)
def test_a_body_that_is_no_object_or_nothing_is_said_so_on_every_route(
    live_server, tenant, method, path, body
):
    for value in (b"[]", b"null", b'"x"', b"5"):
        body_error(send(live_server, tenant, method, path, value), "must be a JSON object")
    body_error(send(live_server, tenant, method, path, b" \n"), "is empty")


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS, ids=IDS)
def test_a_utf8_byte_order_mark_is_ignored_on_every_route(live_server, tenant, method, path, body):
    # RFC 8259 §8.1 lets a parser ignore it; FastAPI's routes did, add-contacts and scenarios did not.
    with_bom = b"\xef\xbb\xbf" + body.replace(b'"x"', b'"' + tenant.campaign_id.encode() + b'"')
    answer = requests.request(
        method,
        live_server.url + API + path,
        data=with_bom,
        headers={**tenant.headers(), "Content-Type": "application/json"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
