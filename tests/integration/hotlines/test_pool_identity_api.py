"""A hotline pool carries the P-Asserted-Identity and Privacy its trunk asks for (issue 15):
stored as given when they hold to their headers' grammar (RFC 3325 §9.1, RFC 3323 §4.2),
refused with a 400 naming the field when not, so nothing reaches an INVITE that would break it."""

from __future__ import annotations

import pytest
import requests

from aicall.hotlines import service as hotline_service
from aicall.hotlines.models import HotlinePool
from tests.integration.support import LiveServer, Tenant

API = "/api/v1/public-api"


def _create(server: LiveServer, tenant: Tenant, key: str, **fields: object) -> requests.Response:
    return requests.post(
        f"{server.url}{API}/hotline-pools",
        json={"key": key, "numbers": ["02873001234"], **fields},
        headers=tenant.headers(),
        timeout=30,
    )


def test_a_pool_keeps_its_asserted_identity_and_privacy(live_server: LiveServer, tenant: Tenant):
    answer = _create(
        live_server,
        tenant,
        "TRUSTED",
        assertedIdentity="<SIP:+842873001234@carrier.example.vn>",
        privacy="ID",
    )
    assert answer.status_code == 200, answer.text
    pool = answer.json()["result"]
    # the brackets are the dialer's to write; schemes and privacy values are case-insensitive
    assert pool["asserted_identity"] == "sip:+842873001234@carrier.example.vn"
    assert pool["privacy"] == "id"
    listed = requests.get(f"{live_server.url}{API}/hotline-pools", headers=tenant.headers(), timeout=30)
    [mine] = [p for p in listed.json()["result"]["pools"] if p["key"] == "TRUSTED"]
    assert (mine["asserted_identity"], mine["privacy"]) == ("sip:+842873001234@carrier.example.vn", "id")


def test_a_pool_without_them_sends_neither(live_server: LiveServer, tenant: Tenant):
    answer = _create(live_server, tenant, "PLAIN", assertedIdentity="", privacy=None)
    assert answer.status_code == 200, answer.text
    assert answer.json()["result"]["asserted_identity"] is None
    assert answer.json()["result"]["privacy"] is None


@pytest.mark.parametrize(
    ("field", "value", "why"),
    [
        ("assertedIdentity", "+842873001234", "must be a sip:, sips: or tel: URI"),
        ("assertedIdentity", "mailto:ops@example.vn", "must be a sip:, sips: or tel: URI"),
        ("assertedIdentity", "tel:02873001234", "global tel URI"),
        ("assertedIdentity", "sip:+84287@carrier.example\r\nX-Evil: 1", "control characters"),
        ("assertedIdentity", "sip:a@b.example>;x=<sip:c@d", "<>"),
        ("assertedIdentity", "sip:+84287@bad_host!", "host"),
        ("privacy", "secret", "'secret' is not a privacy value"),
        ("privacy", "id;id", "names a value twice"),
        ("privacy", "none;id", "cannot be combined"),
        ("privacy", "id\r\nX-Evil: 1", "not a privacy value"),
    ],
)
def test_a_bad_identity_is_refused_naming_the_field(
    live_server: LiveServer, tenant: Tenant, db, field: str, value: str, why: str
):
    answer = _create(live_server, tenant, "BAD", **{field: value})
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert body["details"][0]["field"] == field, body
    assert why in body["message"], body["message"]
    with db.reading() as session:
        assert session.query(HotlinePool).filter_by(key="BAD").count() == 0


def test_an_operator_sets_and_clears_a_pools_identity(db, tenant: Tenant):
    with db.transaction() as session:
        pool = hotline_service.create_pool(
            session=session, key="LATER", numbers=["02873001234"], account_id=tenant.account_id
        )
        hotline_service.set_identity(
            session=session, pool=pool, asserted_identity="tel:+842873001234", privacy="none"
        )
        assert (pool.asserted_identity, pool.privacy) == ("tel:+842873001234", "none")
        with pytest.raises(hotline_service.HotlineError) as refused:
            hotline_service.set_identity(
                session=session, pool=pool, asserted_identity="tel:+84", privacy="header;x"
            )
        assert refused.value.field == "privacy"
        hotline_service.set_identity(session=session, pool=pool, asserted_identity="", privacy=None)
        assert (pool.asserted_identity, pool.privacy) == (None, None)
