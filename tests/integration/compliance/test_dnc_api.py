"""The Do-Not-Call list through the public API: add, search, remove, bad numbers, the audit log."""

from __future__ import annotations

import requests

from tests.integration.support import make_tenant

DNC = "/api/v1/public-api/dnc"
AUDIT = "/api/v1/public-api/audit"


def test_numbers_are_listed_in_e164_and_found_by_number_or_prefix(live_server, tenant):
    url = live_server.url + DNC
    added = requests.post(
        url,
        json={"phone_numbers": ["0987654321", "+84 91 234 5678", "84987654321"], "reason": "asked by phone"},
        headers=tenant.headers(),
        timeout=10,
    )
    assert added.status_code == 200, added.text
    assert added.json() == {"status": 1, "result": {"added": 2, "already_listed": 0, "stopped_contacts": 0}}
    again = requests.post(url, json={"phoneNumbers": ["0987654321"]}, headers=tenant.headers(), timeout=10)
    assert again.json()["result"] == {"added": 0, "already_listed": 1, "stopped_contacts": 0}

    page = requests.get(url, headers=tenant.headers(), timeout=10).json()["result"]
    assert page["total_count"] == 2
    assert [e["phone_number"] for e in page["entries"]] == ["+84912345678", "+84987654321"]
    first = page["entries"][1]
    assert first["source"] == "api" and first["reason"] == "asked by phone" and first["created_at"]
    by_prefix = requests.get(url, params={"phoneNumber": "0987"}, headers=tenant.headers(), timeout=10)
    assert [e["phone_number"] for e in by_prefix.json()["result"]["entries"]] == ["+84987654321"]
    whole = requests.get(url, params={"phoneNumber": "+84912345678"}, headers=tenant.headers(), timeout=10)
    assert whole.json()["result"]["total_count"] == 1


def test_one_invalid_number_lists_none_and_is_named_by_index(live_server, tenant):
    answer = requests.post(
        live_server.url + DNC,
        json={"phone_numbers": ["0987654321", "12", "0912345678", "abc"]},
        headers=tenant.headers(),
        timeout=10,
    )
    assert answer.status_code == 400
    body = answer.json()
    assert body["code"] == 400 and body["message"].startswith("Validation Failed: 2 invalid numbers")
    assert [d["field"] for d in body["details"]] == ["phone_numbers[1]", "phone_numbers[3]"]
    listed = requests.get(live_server.url + DNC, headers=tenant.headers(), timeout=10).json()
    assert listed["result"]["total_count"] == 0


def test_a_number_is_removed_and_an_unlisted_one_answers_404(live_server, tenant):
    url = live_server.url + DNC
    requests.post(url, json={"phone_numbers": ["0987654321"]}, headers=tenant.headers(), timeout=10)
    removed = requests.delete(f"{url}/%2B84987654321", headers=tenant.headers(), timeout=10)
    assert removed.json() == {"status": 1, "result": {"phone_number": "+84987654321", "removed": True}}
    missing = requests.delete(f"{url}/0987654321", headers=tenant.headers(), timeout=10)
    assert (
        missing.status_code == 404
        and missing.json()["message"] == "The number is not on the Do-Not-Call list"
    )
    bad = requests.delete(f"{url}/12", headers=tenant.headers(), timeout=10)
    assert bad.status_code == 400


def test_lists_are_per_account(live_server, db, tenant):
    other = make_tenant(db, "Other")
    requests.post(
        live_server.url + DNC, json={"phone_numbers": ["0987654321"]}, headers=tenant.headers(), timeout=10
    )
    theirs = requests.get(live_server.url + DNC, headers=other.headers(), timeout=10).json()
    assert theirs["result"] == {"entries": [], "total_count": 0}
    gone = requests.delete(f"{live_server.url}{DNC}/0987654321", headers=other.headers(), timeout=10)
    assert gone.status_code == 404


def test_list_changes_are_in_the_audit_log_with_who_and_why(live_server, tenant):
    url = live_server.url + DNC
    requests.post(
        url,
        json={"phone_numbers": ["0987654321"], "reason": "complaint"},
        headers=tenant.headers(),
        timeout=10,
    )
    requests.delete(f"{url}/0987654321", headers=tenant.headers(), timeout=10)
    log = requests.get(
        live_server.url + AUDIT, params={"type": "dnc_change"}, headers=tenant.headers(), timeout=10
    ).json()["result"]
    assert log["total_count"] == 2
    removed, added = log["entries"]  # newest first
    assert (removed["action"], removed["phone_number"]) == ("removed", "+84987654321")
    assert (added["action"], added["detail"]) == ("added", "source api: complaint")
    other_type = requests.get(
        live_server.url + AUDIT, params={"type": "opt_out"}, headers=tenant.headers(), timeout=10
    )
    assert other_type.json()["result"]["total_count"] == 0
    unknown = requests.get(
        live_server.url + AUDIT, params={"type": "nope"}, headers=tenant.headers(), timeout=10
    )
    assert unknown.status_code == 400
