"""A pool changes without being made again: `PATCH /hotline-pools/{id}` (a customer swaps its
caller numbers, points the pool at a trunk, sets the caller identity its carrier asks for).
A field left out keeps its value; a bad one is refused naming the field, and nothing is
written; only the account's own pools."""

from __future__ import annotations

from typing import Any

import requests
from sqlalchemy import select

from aicall.hotlines import service as hotline_service
from aicall.hotlines.models import SYSTEM_POOL_KEY, Hotline, HotlinePool
from tests.integration.support import LiveServer, Tenant, make_tenant

API = "/api/v1/public-api"


def _create(server: LiveServer, tenant: Tenant, **fields: object) -> dict[str, Any]:
    answer = requests.post(
        f"{server.url}{API}/hotline-pools",
        json={"key": "HN", "numbers": ["02873001234", "02873001235"], "perNumberConcurrency": 4, **fields},
        headers=tenant.headers(),
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    pool: dict[str, Any] = answer.json()["result"]
    return pool


def _patch(server: LiveServer, tenant: Tenant, pool_id: str, body: dict[str, Any]) -> requests.Response:
    return requests.patch(
        f"{server.url}{API}/hotline-pools/{pool_id}", json=body, headers=tenant.headers(), timeout=30
    )


def _numbers(pool: dict[str, Any]) -> list[tuple[str, int]]:
    return [(n["number"], n["max_concurrent"]) for n in pool["numbers"]]


def test_numbers_are_replaced_and_the_rest_kept(live_server: LiveServer, tenant: Tenant):
    pool = _create(live_server, tenant, assertedIdentity="tel:+842873001234", privacy="id")
    answer = _patch(
        live_server, tenant, pool["id"], {"numbers": ["02873001235", "0287 300 1299", "02873001299"]}
    )
    assert answer.status_code == 200, answer.text
    changed = answer.json()["result"]
    # the kept number keeps its row, the new one takes the pool's concurrency, duplicates go
    assert _numbers(changed) == [("+842873001235", 4), ("+842873001299", 4)]
    assert (changed["asserted_identity"], changed["privacy"], changed["key"]) == (
        "tel:+842873001234",
        "id",
        "HN",
    )
    listed = requests.get(f"{live_server.url}{API}/hotline-pools", headers=tenant.headers(), timeout=30)
    [mine] = [p for p in listed.json()["result"]["pools"] if p["id"] == pool["id"]]
    assert mine == changed


def test_concurrency_identity_and_trunk_change_and_null_clears(live_server: LiveServer, tenant: Tenant):
    pool = _create(live_server, tenant, privacy="id")
    answer = _patch(
        live_server,
        tenant,
        pool["id"],
        {
            "perNumberConcurrency": 9,
            "assertedIdentity": "<sip:+842873001234@carrier.example.vn>",
            "privacy": None,
        },
    )
    assert answer.status_code == 200, answer.text
    changed = answer.json()["result"]
    assert _numbers(changed) == [("+842873001234", 9), ("+842873001235", 9)]
    assert (changed["asserted_identity"], changed["privacy"]) == (
        "sip:+842873001234@carrier.example.vn",
        None,
    )
    assert changed["advertising_registered"] is False
    answer = _patch(live_server, tenant, pool["id"], {"advertisingRegistered": True, "trunkId": None})
    assert answer.status_code == 200, answer.text
    assert answer.json()["result"]["advertising_registered"] is True
    assert answer.json()["result"]["asserted_identity"] == "sip:+842873001234@carrier.example.vn"


def test_a_bad_value_is_refused_naming_it_and_nothing_changes(live_server: LiveServer, tenant: Tenant, db):
    pool = _create(live_server, tenant)
    for body, field in (
        ({"numbers": ["02873001236", "12"], "privacy": "id"}, "numbers"),
        ({"numbers": []}, "numbers"),
        ({"perNumberConcurrency": 0}, "perNumberConcurrency"),
        ({"numbers": None}, "numbers"),
        ({"assertedIdentity": "+842873001234", "numbers": ["02873001236"]}, "assertedIdentity"),
        ({"privacy": "secret"}, "privacy"),
        ({"trunkId": "no-such-trunk"}, "trunkId"),
        ({"key": "OTHER"}, "key"),
    ):
        answer = _patch(live_server, tenant, pool["id"], body)
        assert answer.status_code == 400, (body, answer.text)
        assert answer.json()["details"][0]["field"] == field, (body, answer.json())
    with db.reading() as session:
        stored = hotline_service.pool_dict(session, session.get(HotlinePool, pool["id"]))
    assert stored == pool


def test_only_the_accounts_own_pools(live_server: LiveServer, tenant: Tenant, db):
    pool = _create(live_server, tenant)
    other = make_tenant(db, name="Other")
    answer = _patch(live_server, other, pool["id"], {"privacy": "id"})
    assert answer.status_code == 404, answer.text
    assert _patch(live_server, tenant, "no-such-pool", {"privacy": "id"}).status_code == 404
    with db.transaction() as session:
        shared = hotline_service.ensure_system_pool(session=session)
        shared_id = shared.id
    answer = _patch(live_server, tenant, shared_id, {"privacy": "id"})
    assert answer.status_code == 409, answer.text
    with db.reading() as session:
        assert session.get(HotlinePool, shared_id).privacy is None
        assert session.get(HotlinePool, shared_id).key == SYSTEM_POOL_KEY
        assert session.get(HotlinePool, pool["id"]).privacy is None


def test_numbers_keep_their_own_limits_when_concurrency_is_left_out(
    live_server: LiveServer, tenant: Tenant, db
):
    pool = _create(live_server, tenant)
    with db.transaction() as session:  # an operator gave one number more room (CLI, dashboard)
        hotline_service.update_pool(
            session=session,
            pool=session.get(HotlinePool, pool["id"]),
            changes=hotline_service.PoolChanges(numbers=["02873001234"], per_number_concurrency=7),
        )
        hotline_service.update_pool(
            session=session,
            pool=session.get(HotlinePool, pool["id"]),
            changes=hotline_service.PoolChanges(numbers=["02873001234", "02873001235"]),
        )
    answer = _patch(
        live_server, tenant, pool["id"], {"numbers": ["02873001235", "02873001234", "02873001236"]}
    )
    assert answer.status_code == 200, answer.text
    assert _numbers(answer.json()["result"]) == [
        ("+842873001234", 7),
        ("+842873001235", 7),
        ("+842873001236", 7),
    ]
    with db.transaction() as session:
        line = session.scalars(
            select(Hotline).where(Hotline.pool_id == pool["id"], Hotline.number == "+842873001236")
        ).one()
        line.max_concurrent = 2
    answer = _patch(live_server, tenant, pool["id"], {"privacy": "id"})
    assert _numbers(answer.json()["result"]) == [
        ("+842873001234", 7),
        ("+842873001235", 7),
        ("+842873001236", 2),
    ]
