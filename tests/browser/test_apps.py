"""Applications in the browser: the secret shown once, rotation, webhook settings with their
errors, a real delivery in the log and its replay reaching a real receiver; and a second
account's user, who sees none of the demo account's applications, money or trunks."""

from __future__ import annotations

import json
import random
import re
import time
from collections.abc import Callable, Iterator

import jwt
import pytest
import requests
from playwright.sync_api import Browser, Page, expect

from aicall.accounts import service as account_service
from aicall.accounts import users as user_service
from aicall.accounts.secrets_box import SecretBox
from aicall.hotlines import service as hotline_service
from aicall.webhooks import service as webhook_service
from aicall.webhooks.testing import Received, WebhookReceiver
from tests.browser.conftest import SCREENSHOTS, Dashboard, login
from tests.integration.support import SECRET_KEY

API = "/api/v1/public-api"


def api(dashboard: Dashboard, method: str, path: str, body: object = None) -> dict[str, object]:
    """The public API as the demo application's customer calls it."""
    token = jwt.encode({"apiKey": dashboard.demo.api_key}, dashboard.demo.api_secret, algorithm="HS256")
    answer = requests.request(
        method,
        dashboard.url + API + path,
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    result: dict[str, object] = answer.json()
    return result


def deliveries(receiver: WebhookReceiver, wanted: Callable[[Received], bool], count: int) -> list[Received]:
    """Block until the receiver holds `count` requests matching `wanted` (30 s at most)."""
    deadline = time.monotonic() + 30
    while True:
        found = [r for r in receiver.received if wanted(r)]
        if len(found) >= count:
            return found
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"{len(found)} matching deliveries, expected {count}")
        receiver.wait_for(len(receiver.received) + 1, timeout=remaining)  # the next request, any


@pytest.fixture
def receiver(dashboard: Dashboard) -> Iterator[WebhookReceiver]:
    """A real HTTP receiver on the loopback; the demo application's webhook is off again after."""
    with WebhookReceiver() as running:
        yield running
    webhook_service.update_settings(
        db=dashboard.db,
        box=SecretBox(SECRET_KEY),
        application_id=dashboard.demo.application_id,
        allow_private=True,
        webhook_url=None,
    )


def test_a_new_applications_secret_is_shown_once_and_rotation_shows_a_new_one_once(
    page: Page, dashboard: Dashboard
) -> None:
    page.goto(f"{dashboard.url}/apps")
    page.fill("#create-app input[name=name]", "Cửa hàng Bình Minh")
    page.click("#create-app button[type=submit]")
    expect(page).to_have_url(re.compile(r"/apps/[0-9a-f]{24}$"))
    secret = page.locator("#api-secret")
    expect(secret).to_have_text(re.compile(r"^\S{40,}$"))
    first = secret.inner_text()
    api_key = page.locator("#api-key").inner_text()

    page.reload()
    expect(page.locator("#api-key")).to_have_text(api_key)
    expect(page.locator("#api-secret")).to_have_count(0)
    assert first not in page.content()

    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#rotate-secret button[type=submit]")
    expect(page.locator("#secret-once")).to_contain_text("Khóa bí mật API mới")
    second = page.locator("#api-secret").inner_text()
    assert second != first
    token = jwt.encode({"apiKey": api_key}, second, algorithm="HS256")
    balance = requests.get(
        dashboard.url + API + "/balance", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    assert balance.status_code == 200
    page.goto(f"{dashboard.url}/apps")
    expect(page.locator("#apps")).to_contain_text("Cửa hàng Bình Minh")
    assert second not in page.content()


def test_an_invalid_webhook_url_is_shown_next_to_the_field_and_kept(page: Page, dashboard: Dashboard) -> None:
    page.goto(f"{dashboard.url}/apps/{dashboard.demo.application_id}")
    page.fill("#webhook-form input[name=webhook_url]", "ftp://shop.example.com/events")
    page.click("#webhook-form button[type=submit]")
    expect(page.locator("#e-webhook_url")).to_have_text(
        "URL webhook phải dùng http hoặc https (đang là 'ftp')."
    )
    expect(page.locator("#webhook-form input[name=webhook_url]")).to_have_value(
        "ftp://shop.example.com/events"
    )
    expect(page.locator("#webhook-form input[name=webhook_url]")).to_have_attribute("aria-invalid", "true")


def test_a_call_result_is_delivered_logged_and_replayed_to_the_receiver(
    page: Page, dashboard: Dashboard, receiver: WebhookReceiver
) -> None:
    app_page = f"{dashboard.url}/apps/{dashboard.demo.application_id}"
    page.goto(app_page)
    page.fill("#webhook-form input[name=webhook_url]", receiver.url)
    page.check("#webhook-form input[name=events_mode][value=all]")
    page.click("#webhook-form button[type=submit]")
    expect(page.locator(".notice")).to_have_text("Đã lưu cài đặt webhook.")

    # A campaign of its own (others' tests pause and stop the demo one), and a busy number.
    campaign = api(
        dashboard,
        "POST",
        "/campaigns",
        {"name": "Webhook log", "scenario_id": dashboard.demo.scenario_id, "settings": {}, "start": True},
    )
    campaign_id = campaign["result"]["id"]  # type: ignore[index]
    number = f"098{random.randrange(10**6):06d}3"
    # With the values the demo scenario's prompts read: a contact without them is never dialled.
    contact = {"phone_number": number, "ho_ten": "Lan", "so_tien": "150000"}
    added = api(dashboard, "POST", "/campaign", {"campaign_id": campaign_id, "contacts": [contact]})
    contact_id = added["result"][0]["contact_id"]  # type: ignore[index]

    def attempt_of_contact(request: Received) -> bool:
        body = json.loads(request.body)
        return body["type"] == "call.attempt.finished" and body["data"]["contact_id"] == contact_id

    [first] = deliveries(receiver, attempt_of_contact, 1)
    row = page.locator(f'#deliveries tr[data-event-id="{first.webhook_id}"]')
    expect(row).to_have_attribute("data-status", "delivered")  # the log refreshes itself
    expect(row).to_contain_text("call.attempt.finished")
    expect(row.locator(".http-code")).to_have_text("200")
    expect(row.locator(".attempts")).to_have_text("1")
    page.screenshot(path=str(SCREENSHOTS / "apps.png"), full_page=True)

    row.locator("button.replay").click()
    expect(page.locator(".notice")).to_have_text("Đã xếp sự kiện vào hàng để gửi lại.")
    again = deliveries(receiver, lambda r: r.webhook_id == first.webhook_id, 2)
    assert again[1].body == first.body  # the same event, byte for byte, same webhook-id
    expect(page.locator(f'#deliveries tr[data-event-id="{first.webhook_id}"]')).to_have_attribute(
        "data-status", "delivered"
    )


def test_a_second_accounts_user_sees_none_of_the_demo_accounts_things(
    browser: Browser, dashboard: Dashboard
) -> None:
    suffix = f"{random.randrange(10**9):09d}"
    email, password = f"second-{suffix}@example.com", "second-password-123"
    box = SecretBox(SECRET_KEY)
    with dashboard.db.transaction() as session:
        account = account_service.create_account(session=session, name=f"Second {suffix}")
        account_service.create_application(
            session=session, box=box, account_id=account.id, name=f"Second app {suffix}"
        )
        user_service.create_user(
            session=session, account_id=account.id, email=email, password=password, is_admin=True
        )
        demo_trunk = hotline_service.create_trunk(
            session=session,
            box=box,
            host="backup.sip.example.vn",
            name="Dự phòng",
            password="backup-pw-123",
            account_id=dashboard.demo.account_id,
        ).id
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    context.set_default_timeout(15_000)
    other = context.new_page()
    try:
        login(other, dashboard.url, email, password)
        other.goto(f"{dashboard.url}/apps")
        expect(other.locator("#apps")).to_contain_text(f"Second app {suffix}")
        assert dashboard.demo.api_key not in other.content() and "Demo application" not in other.content()
        other.goto(f"{dashboard.url}/balance")
        expect(other.locator("#balance-value")).to_have_text("0 đ")
        expect(other.locator("table.ledger")).to_have_count(0)
        other.goto(f"{dashboard.url}/telephony")
        expect(other.locator("table.trunks")).to_have_count(0)
        assert "backup.sip.example.vn" not in other.content()
        for path in (
            f"/apps/{dashboard.demo.application_id}",
            f"/apps/{dashboard.demo.application_id}/deliveries",
            f"/telephony/trunks/{demo_trunk}",
        ):
            answer = other.goto(dashboard.url + path)
            assert answer is not None and answer.status == 404, path
            expect(other.locator("main")).to_contain_text("Không tìm thấy")
    finally:
        context.close()
