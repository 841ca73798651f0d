"""The audit log of the calling rules: per account, newest first, filtered by type, number and
campaign, paged; what a customer shows a regulator."""

from __future__ import annotations

import requests

from aicall.clock import utc_now
from aicall.compliance.rules import DncSource
from aicall.dialer import do_not_call
from tests.integration.dialer.support import add_contacts
from tests.integration.support import make_tenant

AUDIT = "/api/v1/public-api/audit"


def _get(live_server, tenant, **params):
    answer = requests.get(live_server.url + AUDIT, params=params, headers=tenant.headers(), timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()["result"]


def test_the_audit_log_is_the_accounts_own_filtered_and_paged(live_server, db, tenant):
    add_contacts(db, tenant, ["+84987654321", "+84912345678"])
    with db.transaction() as session:
        do_not_call.add(
            session,
            account_id=tenant.account_id,
            phones=["+84987654321", "+84912345678", "+84911111111"],
            source=DncSource.NATIONAL_REGISTER,
            now=utc_now(),
        )
    everything = _get(live_server, tenant)
    assert everything["total_count"] == 5  # 3 listed, 2 waiting contacts stopped
    assert sorted(e["type"] for e in everything["entries"]) == ["dnc_change"] * 3 + ["do_not_call"] * 2
    stopped = _get(live_server, tenant, type="do_not_call", campaignId=tenant.campaign_id)
    assert {e["phone_number"] for e in stopped["entries"]} == {"+84987654321", "+84912345678"}
    assert all(e["citation"] == "Decree 91/2020/ND-CP, Art. 13, cl. 1" for e in stopped["entries"])
    one = _get(live_server, tenant, phoneNumber="0987654321")
    assert {(e["type"], e["action"]) for e in one["entries"]} == {
        ("dnc_change", "added"),
        ("do_not_call", "stopped"),
    }
    first, second = _get(live_server, tenant, limit=2), _get(live_server, tenant, limit=2, offset=2)
    assert first["total_count"] == 5 and len(first["entries"]) == 2 and len(second["entries"]) == 2
    assert not {e["id"] for e in first["entries"]} & {e["id"] for e in second["entries"]}
    other = make_tenant(db, "Other")
    assert _get(live_server, other) == {"entries": [], "total_count": 0}
