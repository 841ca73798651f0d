"""Issue 11, class 5: every nested setting of a campaign is validated, a wrong type or size is a
400 naming the setting (`settings.hours[0].end`), on create and on update, and nothing is
stored."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.integration.hardening.helpers import API
from tests.integration.support import LiveServer, Tenant

BAD_SETTINGS: list[tuple[dict[str, Any], str]] = [
    ({"hours": [{"start": "00:00:00", "end": 3600}]}, "settings.hours[0].end"),
    ({"hours": [{"start": 5}]}, "settings.hours[0].start"),
    ({"hours": [{"start": "25:00"}]}, "settings.hours[0].start"),
    ({"hours": [{"start": "09:00", "end": "08:00"}]}, "settings.hours[0]"),
    ({"hours": [None]}, "settings.hours[0]"),
    ({"hours": [1, 2]}, "settings.hours[0]"),
    ({"hours": "9-17"}, "settings.hours"),
    ({"hours": []}, "settings.hours"),
    ({"hours": [{"start": "08:00", "end": "12:00"}] * 50}, "settings.hours"),
    ({"timezone": "A" * 300}, "settings.timezone"),
    ({"timezone": "Asia/" + "x" * 250}, "settings.timezone"),
    ({"timezone": "../../../../etc/passwd"}, "settings.timezone"),
    ({"timezone": "Mars/Olympus_Mons"}, "settings.timezone"),
    ({"timezone": 7}, "settings.timezone"),
    ({"timezone": ""}, "settings.timezone"),
    ({"days": "mon"}, "settings.days"),
    ({"days": [7]}, "settings.days"),
    ({"days": [None]}, "settings.days"),
    ({"days": [{"day": "mon"}]}, "settings.days"),
    ({"days": ["mon"] * 100}, "settings.days"),
    ({"retry": {"busy": {"max_attempts": "x"}}}, "settings.retry.busy.max_attempts"),
    ({"retry": {"busy": {"interval": 1e300}}}, "settings.retry.busy.interval"),
    ({"retry": {"busy": 5}}, "settings.retry.busy"),
    ({"retry": {"answered": {"max_attempts": 1}}}, "settings.retry"),
    ({"retry": []}, "settings.retry"),
    ({"start_date": "2024-13-45"}, "settings.start_date"),
    ({"start_date": 20240101}, "settings.start_date"),
    ({"start_date": "2025-02-01", "end_date": "2025-01-01"}, "settings"),
    ({"max_concurrent": 10**30}, "settings.max_concurrent"),
    ({"calls_per_second": 0}, "settings.calls_per_second"),
    ({"ring_timeout": "soon"}, "settings.ring_timeout"),
    ({"pool_hotline_key": "k" * 101}, "settings.pool_hotline_key"),
    ({"hotline_selection": "FASTEST"}, "settings.hotline_selection"),
    ({"record": "maybe"}, "settings.record"),
    ({"no_such_setting": 1}, "settings.no_such_setting"),
]


def _refused(answer: requests.Response, field: str) -> None:
    assert answer.status_code == 400, (field, answer.text)
    body = answer.json()
    assert body["status"] == 0 and body["code"] == 400
    assert body["details"][0]["field"] == field, (field, body)
    assert body["message"].startswith(f"Validation Failed: {field}: "), body["message"]


@pytest.mark.parametrize(("settings", "field"), BAD_SETTINGS)
def test_a_bad_nested_setting_is_a_400_naming_it_on_create_and_update(
    live_server: LiveServer, tenant: Tenant, settings: dict[str, Any], field: str
):
    created = requests.post(
        f"{live_server.url}{API}/campaigns",
        json={"name": "c", "settings": settings},
        headers=tenant.headers(),
        timeout=30,
    )
    _refused(created, field)
    before = requests.get(
        f"{live_server.url}{API}/campaigns/{tenant.campaign_id}", headers=tenant.headers(), timeout=30
    ).json()["result"]["settings"]
    updated = requests.put(
        f"{live_server.url}{API}/campaigns/{tenant.campaign_id}",
        json={"settings": settings},
        headers=tenant.headers(),
        timeout=30,
    )
    _refused(updated, field)
    after = requests.get(
        f"{live_server.url}{API}/campaigns/{tenant.campaign_id}", headers=tenant.headers(), timeout=30
    ).json()["result"]["settings"]
    assert after == before


@pytest.mark.parametrize("literal", [b"NaN", b"Infinity", b"-Infinity"])
def test_numbers_json_does_not_have_are_refused(live_server: LiveServer, tenant: Tenant, literal: bytes):
    # Python's parser reads them; RFC 8259 §6 has no such numbers, and no setting can be one.
    for path, body in (
        ("/campaigns", b'{"name": "c", "settings": {"calls_per_second": %s}}' % literal),
        (
            "/campaign",
            b'{"campaign_id": "x", "contacts": [{"phone_number": "0987654321", "n": %s}]}' % literal,
        ),
    ):
        answer = requests.post(
            live_server.url + API + path,
            data=body,
            headers={**tenant.headers(), "Content-Type": "application/json"},
            timeout=30,
        )
        assert answer.status_code == 400, (path, answer.text)
        assert "not a JSON number" in answer.json()["message"], answer.text


def test_good_nested_settings_are_kept(live_server: LiveServer, tenant: Tenant):
    settings = {
        "timezone": "Asia/Ho_Chi_Minh",
        "hours": [{"start": "08:00", "end": "11:30"}, {"start": "13:30", "end": "24:00"}],
        "days": ["mon", 1, "Wednesday"],
        "retry": {"busy": {"max_attempts": 2, "interval": 600}},
    }
    answer = requests.put(
        f"{live_server.url}{API}/campaigns/{tenant.campaign_id}",
        json={"settings": settings},
        headers=tenant.headers(),
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    stored = answer.json()["result"]["settings"]
    assert stored["hours"] == [{"start": "08:00:00", "end": "11:30:00"}, {"start": "13:30:00", "end": None}]
    assert stored["days"] == ["mon", "tue", "wed"]
