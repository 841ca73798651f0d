"""Issue 11, class 6: a SIP trunk cannot point anywhere. Its host follows the webhook URLs'
address rule (unless AICALL_SIP_ALLOW_PRIVATE), and every value that ends up in a SIP header
is refused at creation when it holds what would break the header."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from aicall.accounts.secrets_box import SecretBox
from aicall.db.engine import Database
from aicall.hotlines import service as hotline_service
from aicall.telephony.sip import backend as sip_backend
from tests.integration.hardening.helpers import API
from tests.integration.support import SECRET_KEY, LiveServer, Tenant

PRIVATE_HOSTS = [
    "169.254.169.254",  # cloud metadata
    "10.0.0.1",
    "192.168.1.20",
    "172.16.5.5",
    "127.0.0.1",
    "localhost",
    "::1",
    "[::1]",
    "::ffff:10.0.0.1",  # IPv4 inside IPv6
    "0.0.0.0",
    "100.64.0.1",  # carrier-grade NAT
    "fd00:ec2::254",
]


def _create(server: LiveServer, tenant: Tenant, **body: Any) -> requests.Response:
    return requests.post(
        f"{server.url}{API}/sip-trunks",
        json={"host": "sip.example.com", **body},
        headers=tenant.headers(),
        timeout=30,
    )


def _refused(answer: requests.Response, field: str, *contains: str) -> str:
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert body["code"] == 400 and body["details"][0]["field"] == field, body
    for text in contains:
        assert text in body["message"], body["message"]
    return str(body["message"])


@pytest.fixture
def private_allowed(live_server: LiveServer) -> Iterator[None]:
    live_server.settings.sip_allow_private = True
    try:
        yield
    finally:
        live_server.settings.sip_allow_private = False


@pytest.mark.parametrize("host", PRIVATE_HOSTS)
def test_a_trunk_host_on_a_private_address_is_refused_by_default(
    live_server: LiveServer, tenant: Tenant, host
):
    message = _refused(_create(live_server, tenant, host=host), "host", "SIP trunk host refused")
    if host == "localhost":  # what a name resolves to is not said
        assert "127.0.0.1" not in message and "::1" not in message


@pytest.mark.usefixtures("private_allowed")
@pytest.mark.parametrize("host", ["10.0.0.1", "192.168.1.20", "127.0.0.1", "localhost"])
def test_an_operator_may_allow_trunks_on_private_links(live_server: LiveServer, tenant: Tenant, host):
    answer = _create(live_server, tenant, host=host)
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("host", "sip.example.com\r\nX-Injected: 1"),
        ("host", "sip.example.com:5060"),
        ("host", "user@sip.example.com"),
        ("host", "sip.example.com>"),
        ("host", "sip example.com"),
        ("fromDomain", "example.com\r\nX-Injected: 1"),
        ("fromDomain", 'example.com"'),
        ("username", "acc\r\nX-Injected: 1"),
        ("username", 'acc"1'),
        ("username", "acc 1"),
        ("username", "acc<1>"),
        ("username", "acc\n"),
        ("password", "pw\r\nX-Injected: 1"),
        ("password", "pw\t"),
    ],
)
def test_header_unsafe_values_are_refused_at_creation(live_server: LiveServer, tenant: Tenant, field, value):
    snake = {"fromDomain": "from_domain"}.get(field, field)
    _refused(_create(live_server, tenant, **{field: value}), snake)


def test_header_safe_values_are_kept(live_server: LiveServer, tenant: Tenant):
    answer = _create(
        live_server,
        tenant,
        host="sip.nhà-mạng.vn",
        username="acc.01+vn%40x",
        password='p@ss "word" with spaces',
        fromDomain="calls.example.vn",
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["result"]["username"] == "acc.01+vn%40x"


@pytest.mark.parametrize("transport", ["tls", "sctp", "ws", "UDP "])
def test_a_transport_the_sip_layer_cannot_dial_is_refused(live_server: LiveServer, tenant: Tenant, transport):
    _refused(_create(live_server, tenant, transport=transport), "transport")


@pytest.mark.parametrize("transport", ["udp", "tcp", "tls", "sctp", "ws", "wss"])
def test_a_trunk_is_stored_with_exactly_the_transports_the_sip_layer_dials(db: Database, transport: str):
    dials = transport in sip_backend.TRANSPORTS
    with db.transaction() as session:
        if dials:
            hotline_service.create_trunk(
                session=session, box=SecretBox(SECRET_KEY), host="sip.example.com", transport=transport
            )
        else:
            with pytest.raises(hotline_service.HotlineError) as refused:
                hotline_service.create_trunk(
                    session=session, box=SecretBox(SECRET_KEY), host="sip.example.com", transport=transport
                )
            assert refused.value.field == "transport"


def test_the_cli_and_dashboard_share_the_rule_through_the_service(db: Database):
    box = SecretBox(SECRET_KEY)
    with db.transaction() as session:
        with pytest.raises(hotline_service.HotlineError) as refused:
            hotline_service.create_trunk(session=session, box=box, host="10.1.2.3")
        assert refused.value.field == "host"
        trunk = hotline_service.create_trunk(session=session, box=box, host="10.1.2.3", allow_private=True)
        with pytest.raises(hotline_service.HotlineError) as unsafe:
            hotline_service.update_trunk(
                session=session,
                box=box,
                trunk_id=trunk.id,
                host="169.254.169.254",
                port=5060,
                transport="udp",
                username=None,
                register=False,
                from_domain=None,
                name="",
                max_concurrent=10,
            )
        assert unsafe.value.field == "host"


@pytest.mark.parametrize(
    "target",
    ["+84901234567\r\nX-Injected: 1", "sip:agent@pbx.example>;x", '"agent" <sip:a@b>', "098 765 4321"],
)
def test_a_transfer_target_that_would_break_refer_to_is_refused(
    live_server: LiveServer, tenant: Tenant, target
):
    scenario = requests.post(
        f"{live_server.url}{API}/scenarios", json={"name": "s"}, headers=tenant.headers(), timeout=30
    ).json()["result"]
    answer = requests.post(
        f"{live_server.url}{API}/scenario-actions",
        json={"scenarioId": scenario["id"], "type": "TRANSFER_CALL", "transferTo": target},
        headers=tenant.headers(),
        timeout=30,
    )
    _refused(answer, "transferTo")
