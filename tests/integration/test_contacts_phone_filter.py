"""GET /campaigns/{id}/contacts?phoneNumber= normalises the number as add-contacts does: a
fresh-user trial found `0915000099` and `84915000099` matching nothing while `+84915000099`
found the contact it had added as `0915000099`."""

from __future__ import annotations

import pytest

from tests.integration.support import LiveServer, Tenant, add_two_contacts, list_contacts


@pytest.fixture
def added(live_server: LiveServer, tenant: Tenant) -> str:
    return add_two_contacts(live_server, tenant)


@pytest.mark.parametrize(
    "written", ["0915000099", "84915000099", "+84915000099", " 84915000099", "0915 000 099", "091.500.0099"]
)
def test_the_phone_filter_finds_the_contact_however_its_number_is_written(
    live_server, tenant, added, written
):
    # " 84915000099": a `+` not percent-encoded in a query string arrives as a space.
    answer = list_contacts(live_server, tenant, phoneNumber=written)
    assert answer.status_code == 200, answer.text
    result = answer.json()["result"]
    assert [c["id"] for c in result["contacts"]] == [added] and result["total_count"] == 1
    assert result["contacts"][0]["phone_number"] == "+84915000099"


def test_a_valid_number_no_contact_has_is_an_empty_page(live_server, tenant, added):
    answer = list_contacts(live_server, tenant, phoneNumber="0915000098")
    assert answer.status_code == 200
    assert answer.json()["result"] == {"contacts": [], "total_count": 0}


@pytest.mark.parametrize(("written", "reason"), [("abc", "may hold only digits"), ("12", "too short")])
def test_a_value_that_is_no_phone_number_is_refused_naming_phone_number(
    live_server, tenant, added, written, reason
):
    answer = list_contacts(live_server, tenant, phoneNumber=written)
    assert answer.status_code == 400
    body = answer.json()
    assert body["status"] == 0 and body["code"] == 400
    assert body["message"].startswith("Validation Failed: phoneNumber: ") and reason in body["message"]
    assert body["details"][0]["field"] == "phoneNumber"
