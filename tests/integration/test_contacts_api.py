"""POST /api/v1/public-api/campaign, driven over real HTTP with requests + PyJWT (as the seed's
Python sample does), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import time
from typing import Any

import jwt
import pytest
import requests
from sqlalchemy import func, select

from aicall.campaigns.models import Campaign, Contact
from aicall.db.engine import Database
from tests.integration.support import LiveServer, Tenant, make_tenant

PATH = "/api/v1/public-api/campaign"


def post(server: LiveServer, tenant: Tenant, body: Any, **headers: str) -> requests.Response:
    return requests.post(server.url + PATH, json=body, headers={**tenant.headers(), **headers}, timeout=30)


def post_raw(server: LiveServer, tenant: Tenant, data: bytes) -> requests.Response:
    headers = {**tenant.headers(), "Content-Type": "application/json"}
    return requests.post(server.url + PATH, data=data, headers=headers, timeout=30)


def count_contacts(db: Database) -> int:
    with db.reading() as session:
        return int(session.scalar(select(func.count()).select_from(Contact)) or 0)


def assert_error(response: requests.Response, http: int, code: int, contains: str = "") -> dict[str, Any]:
    assert response.status_code == http, response.text
    body = response.json()
    assert body["status"] == 0
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"]
    assert contains.lower() in body["message"].lower(), body["message"]
    return body


def test_seed_example_adds_a_contact_with_its_tags_and_e164_number(live_server, tenant, db):
    response = post(
        live_server,
        tenant,
        {
            "campaign_id": tenant.campaign_id,
            "contacts": [{"phone_number": "0987654321", "ho_ten": "David Thiêm", "danh_xung": "Anh"}],
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == 1
    assert "rejected" not in body
    [contact] = body["result"]
    assert set(contact) == {"contact_id", "danh_xung", "ho_ten", "so_dien_thoai"}
    assert contact["so_dien_thoai"] == "+84987654321"
    assert contact["ho_ten"] == "David Thiêm"
    assert contact["danh_xung"] == "Anh"
    assert len(contact["contact_id"]) == 36
    with db.reading() as session:
        stored = session.get(Contact, contact["contact_id"])
        assert stored is not None
        assert stored.phone == "+84987654321"
        assert stored.tags == {"ho_ten": "David Thiêm", "danh_xung": "Anh"}
        assert stored.status == "pending"


@pytest.mark.parametrize(
    "raw", ["0987654321", "84987654321", "+84 98 765 4321", "098.765.4321", "+84987654321", "(098) 765-4321"]
)
def test_vietnamese_national_forms_normalise_to_e164(live_server, tenant, raw):
    response = post(
        live_server, tenant, {"campaign_id": tenant.campaign_id, "contacts": [{"phone_number": raw}]}
    )
    assert response.status_code == 200, response.text
    assert response.json()["result"][0]["so_dien_thoai"] == "+84987654321"


def test_json_number_phone_is_accepted_and_read_as_a_national_number(live_server, tenant):
    response = post(
        live_server, tenant, {"campaign_id": tenant.campaign_id, "contacts": [{"phone_number": 987654321}]}
    )
    assert response.status_code == 200
    assert response.json()["result"][0]["so_dien_thoai"] == "+84987654321"


def test_display_name_tag_keys_come_back_in_key_form_and_unknown_keys_are_kept(live_server, tenant, db):
    response = post(
        live_server,
        tenant,
        {
            "campaign_id": tenant.campaign_id,
            "contacts": [
                {"phone_number": "0987654321", "Họ tên": "Lan", "Số tiền": 150000, "ma_hop_dong": "HD-1"}
            ],
        },
    )
    assert response.status_code == 200
    contact = response.json()["result"][0]
    assert contact["ho_ten"] == "Lan"
    assert contact["so_tien"] == "150000"
    assert contact["ma_hop_dong"] == "HD-1"


def test_partial_success_lists_rejected_contacts_with_index_and_reason(live_server, tenant, db):
    contacts = [
        {"phone_number": "0987654321"},
        {"phone_number": "12"},
        {"phone_number": "0912345678"},
        {"phone_number": "not a phone"},
        "a string",
        {"ho_ten": "no phone"},
    ]
    response = post(live_server, tenant, {"campaign_id": tenant.campaign_id, "contacts": contacts})
    assert response.status_code == 200
    body = response.json()
    assert [c["so_dien_thoai"] for c in body["result"]] == ["+84987654321", "+84912345678"]
    rejected = {r["index"]: r["reason"] for r in body["rejected"]}
    assert set(rejected) == {1, 3, 4, 5}
    assert "too short" in rejected[1]
    assert "digits" in rejected[3]
    assert "object" in rejected[4]
    assert "required" in rejected[5]
    assert count_contacts(db) == 2


@pytest.mark.parametrize(
    ("phone", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("0987abc321", "digits"),
        ("098", "too short"),
        ("098765432109876", "too long"),
        ("1" * 40, "too long"),
        (True, "string"),
        (9.87654321e8, "string"),
        ([], "string"),
        (None, "required"),
    ],
)
def test_bad_phone_numbers_are_refused_with_the_reason(live_server, tenant, db, phone, reason):
    response = post(
        live_server, tenant, {"campaign_id": tenant.campaign_id, "contacts": [{"phone_number": phone}]}
    )
    body = assert_error(response, 400, 1403, "invalid")
    assert reason in body["details"][0]["reason"]
    assert count_contacts(db) == 0


def test_duplicate_numbers_within_one_request_keep_the_first(live_server, tenant, db):
    contacts = [
        {"phone_number": "0987654321", "ho_ten": "A"},
        {"phone_number": "+84987654321", "ho_ten": "B"},
    ]
    response = post(live_server, tenant, {"campaign_id": tenant.campaign_id, "contacts": contacts})
    body = response.json()
    assert [c["ho_ten"] for c in body["result"]] == ["A"]
    assert body["rejected"] == [
        {
            "index": 1,
            "phone_number": "+84987654321",
            "reason": "duplicate: same number as contact 0 in this request",
        }
    ]


def test_number_already_in_the_campaign_is_refused_as_duplicate(live_server, tenant, db):
    first = post(
        live_server, tenant, {"campaign_id": tenant.campaign_id, "contacts": [{"phone_number": "0987654321"}]}
    )
    assert first.status_code == 200
    again = post(
        live_server, tenant, {"campaign_id": tenant.campaign_id, "contacts": [{"phone_number": "0987654321"}]}
    )
    body = assert_error(again, 400, 1403)
    assert "already has this number" in body["details"][0]["reason"]
    assert count_contacts(db) == 1


def test_campaign_allowing_duplicates_stores_the_same_number_twice(live_server, db):
    tenant = make_tenant(db, "Dup", allow_duplicate_phone=True)
    contacts = [{"phone_number": "0987654321"}, {"phone_number": "0987654321"}]
    response = post(live_server, tenant, {"campaign_id": tenant.campaign_id, "contacts": contacts})
    assert len(response.json()["result"]) == 2
    assert count_contacts(db) == 2


@pytest.mark.parametrize(
    ("body", "contains"),
    [
        ([], "JSON object"),
        ("just a string", "JSON object"),
        ({"contacts": [{"phone_number": "0987654321"}]}, "campaign_id is required"),
        ({"campaign_id": "", "contacts": [{"phone_number": "0987654321"}]}, "campaign_id is empty"),
        (
            {"campaign_id": 12345, "contacts": [{"phone_number": "0987654321"}]},
            "campaign_id must be a string",
        ),
        ({"campaign_id": "x"}, "contacts is required"),
        ({"campaign_id": "x", "contacts": {"phone_number": "0987654321"}}, "contacts must be a list"),
        ({"campaign_id": "x", "contacts": []}, "contacts is empty"),
    ],
)
def test_malformed_requests_get_validation_failed(live_server, tenant, db, body, contains):
    assert_error(post(live_server, tenant, body), 400, 400, contains)
    assert count_contacts(db) == 0


def test_malformed_json_is_refused(live_server, tenant, db):
    assert_error(
        post_raw(live_server, tenant, b'{"campaign_id": "x", "contacts": [}'),
        400,
        400,
        "the request body is not valid JSON at line 1 column 35: Expecting value",
    )


def test_empty_body_is_refused(live_server, tenant):
    assert_error(post_raw(live_server, tenant, b""), 400, 400, "empty")


def test_non_utf8_body_is_refused(live_server, tenant, db):
    data = b'{"campaign_id": "x", "contacts": [{"phone_number": "0987654321", "ho_ten": "\xff\xfe"}]}'
    assert_error(post_raw(live_server, tenant, data), 400, 400, "UTF-8")
    assert count_contacts(db) == 0


def test_body_over_the_size_limit_is_refused(live_server, tenant, db):
    limit = live_server.settings.max_body_bytes
    contacts = [{"phone_number": "0987654321", "ghi_chu": "x" * 1000}] * (limit // 1000 + 10)
    data = json.dumps({"campaign_id": tenant.campaign_id, "contacts": contacts}).encode()
    assert_error(post_raw(live_server, tenant, data), 413, 413, "larger than")
    assert count_contacts(db) == 0


def test_more_contacts_than_the_limit_is_refused_whole(live_server, tenant, db):
    limit = live_server.settings.max_contacts_per_request
    contacts = [{"phone_number": f"09{n:08d}"} for n in range(limit + 1)]
    response = post(live_server, tenant, {"campaign_id": tenant.campaign_id, "contacts": contacts})
    assert_error(response, 400, 1402, f"at most {limit}")
    assert count_contacts(db) == 0


@pytest.mark.parametrize("value", [True, 1.5, {"a": 1}, ["x"]])
def test_tag_values_that_are_not_strings_reject_the_contact(live_server, tenant, db, value):
    contacts = [
        {"phone_number": "0987654321", "ho_ten": value},
        {"phone_number": "0912345678", "ho_ten": "Lan"},
    ]
    body = post(live_server, tenant, {"campaign_id": tenant.campaign_id, "contacts": contacts}).json()
    assert [c["so_dien_thoai"] for c in body["result"]] == ["+84912345678"]
    assert body["rejected"][0]["index"] == 0
    assert "ho_ten" in body["rejected"][0]["reason"] and "string" in body["rejected"][0]["reason"]


def test_campaign_of_another_application_looks_exactly_like_a_missing_one(live_server, tenant, db):
    other = make_tenant(db, "Other")
    contacts = [{"phone_number": "0987654321"}]
    foreign = post(live_server, tenant, {"campaign_id": other.campaign_id, "contacts": contacts})
    missing = post(live_server, tenant, {"campaign_id": "0" * 24, "contacts": contacts})
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json() == {"status": 0, "code": 1401, "message": "Campaign is not found"}
    assert count_contacts(db) == 0


def test_closed_campaign_refuses_imports(live_server, tenant, db):
    with db.transaction() as session:
        session.get(Campaign, tenant.campaign_id).status = "cancelled"  # type: ignore[union-attr]
    response = post(
        live_server, tenant, {"campaign_id": tenant.campaign_id, "contacts": [{"phone_number": "0987654321"}]}
    )
    assert_error(response, 400, 1402, "cancelled")


def test_retry_with_the_same_idempotency_key_returns_the_first_answer_and_adds_nothing(
    live_server, tenant, db
):
    body = {
        "campaign_id": tenant.campaign_id,
        "contacts": [{"phone_number": "0987654321"}, {"phone_number": "0912345678"}],
    }
    first = post(live_server, tenant, body, **{"Idempotency-Key": "import-42"})
    second = post(live_server, tenant, body, **{"Idempotency-Key": "import-42"})
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert count_contacts(db) == 2


def test_same_idempotency_key_with_another_body_is_refused(live_server, tenant, db):
    post(
        live_server,
        tenant,
        {"campaign_id": tenant.campaign_id, "contacts": [{"phone_number": "0987654321"}]},
        **{"Idempotency-Key": "k1"},
    )
    other = post(
        live_server,
        tenant,
        {"campaign_id": tenant.campaign_id, "contacts": [{"phone_number": "0912345678"}]},
        **{"Idempotency-Key": "k1"},
    )
    assert_error(other, 409, 409, "Idempotency-Key")
    assert count_contacts(db) == 1


def test_idempotency_keys_are_per_application(live_server, tenant, db):
    other = make_tenant(db, "Other")
    contacts = [{"phone_number": "0987654321"}]
    a = post(
        live_server,
        tenant,
        {"campaign_id": tenant.campaign_id, "contacts": contacts},
        **{"Idempotency-Key": "same"},
    )
    b = post(
        live_server,
        other,
        {"campaign_id": other.campaign_id, "contacts": contacts},
        **{"Idempotency-Key": "same"},
    )
    assert a.status_code == b.status_code == 200
    assert count_contacts(db) == 2


def test_a_request_is_atomic_when_storage_fails_midway(live_server, tenant, db, monkeypatch):
    from aicall.campaigns import contact_import

    original = contact_import.store_contacts

    def store_then_fail(**kwargs):
        original(**kwargs)
        raise RuntimeError("disk full")

    monkeypatch.setattr(contact_import, "store_contacts", store_then_fail)
    contacts = [{"phone_number": f"09123456{n:02d}"} for n in range(50)]
    response = post(
        live_server,
        tenant,
        {"campaign_id": tenant.campaign_id, "contacts": contacts},
        **{"Idempotency-Key": "atomic"},
    )
    assert_error(response, 500, 500)
    assert count_contacts(db) == 0


# --- CONTRACT §1: tokens ---------------------------------------------------------------------


def _send(server: LiveServer, tenant: Tenant, authorization: str | None) -> requests.Response:
    headers = {} if authorization is None else {"Authorization": authorization}
    body = {"campaign_id": tenant.campaign_id, "contacts": [{"phone_number": "0987654321"}]}
    return requests.post(server.url + PATH, json=body, headers=headers, timeout=30)


@pytest.mark.parametrize(
    "claims",
    [
        lambda t: {"apiKey": t.api_key},  # Python and PHP samples
        lambda t: {"apiKey": t.api_key, "iat": int(time.time())},  # Node jsonwebtoken, Java
        lambda t: {"apiKey": t.api_key, "iat": int(time.time()), "exp": int(time.time()) + 600},
    ],
)
def test_token_forms_of_the_seed_samples_are_accepted(live_server, tenant, claims):
    token = jwt.encode(claims(tenant), tenant.api_secret, algorithm="HS256")
    assert _send(live_server, tenant, f"Bearer {token}").status_code == 200


def _none_token(tenant: Tenant) -> str:
    import base64

    def b64(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64({'apiKey': tenant.api_key})}."


@pytest.mark.parametrize(
    "authorization",
    [
        lambda t: None,
        lambda t: "",
        lambda t: "Bearer",
        lambda t: "Bearer not.a.jwt",
        lambda t: "Basic " + t.token(),
        lambda t: t.token(),  # no scheme
        lambda t: (
            "Bearer "
            + jwt.encode({"apiKey": t.api_key}, "wrong-secret-of-sufficient-length-xx", algorithm="HS256")
        ),
        lambda t: "Bearer " + jwt.encode({"apiKey": t.api_key}, t.api_secret, algorithm="HS512"),
        lambda t: "Bearer " + _none_token(t),
        lambda t: "Bearer " + t.token(exp=int(time.time()) - 3600),
        lambda t: "Bearer " + jwt.encode({"key": t.api_key}, t.api_secret, algorithm="HS256"),
        lambda t: "Bearer " + jwt.encode({"apiKey": 42}, t.api_secret, algorithm="HS256"),
    ],
    ids=[
        "missing",
        "empty",
        "no-token",
        "garbage",
        "basic",
        "no-scheme",
        "bad-signature",
        "hs512",
        "alg-none",
        "expired",
        "no-apikey",
        "apikey-not-string",
    ],
)
@pytest.mark.filterwarnings(
    "ignore::jwt.warnings.InsecureKeyLengthWarning"
)  # HS512 case signs with a short key on purpose
def test_bad_tokens_are_unauthorized(live_server, tenant, db, authorization):
    response = _send(live_server, tenant, authorization(tenant))
    assert response.status_code == 401
    assert response.json() == {"status": 0, "code": 401, "message": "Unauthorized"}
    assert count_contacts(db) == 0


def test_unknown_api_key_in_a_well_formed_token_is_application_not_found(live_server, tenant, db):
    token = jwt.encode(
        {"apiKey": "00000000-0000-0000-0000-000000000000"}, tenant.api_secret, algorithm="HS256"
    )
    response = _send(live_server, tenant, f"Bearer {token}")
    assert response.status_code == 404
    assert response.json() == {"status": 0, "code": 1201, "message": "Application is not found"}


def test_health_and_openapi_docs_are_served(live_server):
    assert requests.get(live_server.url + "/healthz", timeout=10).json()["result"]["ok"] is True
    assert requests.get(live_server.url + "/docs", timeout=10).status_code == 200
    spec = requests.get(live_server.url + "/openapi.json", timeout=10).json()
    assert PATH in spec["paths"]


def test_an_application_over_its_rate_limit_gets_429_in_the_envelope(live_server, tenant, db):
    from aicall.web.rate_limit import RateLimiter

    original = live_server.state.rate_limiter
    live_server.state.rate_limiter = RateLimiter(rate=0.001, burst=2)
    try:
        body = {"campaign_id": tenant.campaign_id, "contacts": [{"phone_number": "0987654321"}]}
        answers = [post(live_server, tenant, body) for _ in range(3)]
        other = make_tenant(db, "Other")
        other_answer = post(
            live_server,
            other,
            {"campaign_id": other.campaign_id, "contacts": [{"phone_number": "0987654321"}]},
        )
    finally:
        live_server.state.rate_limiter = original
    assert [a.status_code for a in answers] == [200, 400, 429]  # the second is a duplicate
    assert answers[2].headers["Retry-After"] == "1"
    assert answers[2].json() == {
        "status": 0,
        "code": 429,
        "message": "Too many requests: slow down and retry after a second",
    }
    assert other_answer.status_code == 200  # another application is not slowed down
    assert count_contacts(db) == 2
