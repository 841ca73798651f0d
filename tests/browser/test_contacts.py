"""Contact pages in Chromium: the contacts table (filters, search, keyset paging), a contact's
attempts as timelines with its recording playing, and nothing of it for another account."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.campaign_support import add_contacts, api, contact, new_campaign, other_account, phone
from tests.browser.conftest import SCREENSHOTS, Dashboard, login


def test_a_contact_page_shows_the_path_the_keys_and_a_recording_that_plays(
    page: Page, dashboard: Dashboard
) -> None:
    campaign_id = new_campaign(dashboard, "Recorded calls", record=True)
    [contact_id] = add_contacts(dashboard, campaign_id, contact(phone(1), name="Lê Thị Thu"))
    page.goto(f"{dashboard.url}/contacts/{contact_id}")
    page.evaluate("window.notReloaded = true")

    # The page follows the call by itself until the contact is done (1: answers, presses 1).
    expect(page.locator(".page-head .badge")).to_have_text("Đã nghe máy", timeout=30_000)
    attempt = page.locator("article.attempt")
    expect(attempt).to_have_count(1)
    expect(attempt.locator("li.step-dialled")).to_be_visible()
    expect(attempt.locator("li.step-ringing")).to_contain_text("Đổ chuông")
    expect(attempt.locator("li.step-answered")).to_be_visible()
    expect(attempt.locator("li.step-prompt").first).to_contain_text("Lê Thị Thu")
    expect(attempt.locator("li.step-keys")).to_contain_text("1")
    expect(attempt.locator("li.step-hangup")).to_be_visible()
    expect(attempt.locator(".path-step")).to_have_text(["start", "confirmed"])
    expect(attempt.locator(".cost")).to_have_text(re.compile(r"^[\d.]+ đ$"))
    assert page.evaluate("window.notReloaded") is True

    audio = attempt.locator("audio")
    source = audio.get_attribute("src")
    assert source is not None and source.startswith("/recordings/")
    answer = page.request.get(dashboard.url + source)
    assert answer.status == 200
    assert answer.headers["content-type"] == "audio/wav"
    assert answer.body()[:4] == b"RIFF"
    # Muted, so Chromium's autoplay policy lets a script start it; it plays: time moves on.
    audio.evaluate("a => { a.muted = true; return a.play(); }")
    page.wait_for_function("a => a.currentTime > 0", arg=audio.element_handle(), timeout=15_000)
    assert audio.evaluate("a => a.duration") > 1
    # docs/screenshots/contact.png is test_contact_speech's: a spoken answer and the AMD verdict.


def test_the_contacts_table_pages_by_keyset_and_searches_numbers_and_names(
    page: Page, dashboard: Dashboard
) -> None:
    campaign_id = new_campaign(dashboard, "Sixty contacts", start=False)
    numbers = [phone(n % 10) for n in range(60)]
    people = [contact(number, name=f"Khách {i:02d}") for i, number in enumerate(numbers)]
    people[42]["ho_ten"] = "Phạm Thị Hương"
    add_contacts(dashboard, campaign_id, *people)

    page.goto(f"{dashboard.url}/campaigns/{campaign_id}")
    page.click("a[href$='/contacts']")
    rows = page.locator("table.contacts tbody tr")
    expect(rows).to_have_count(50)
    first_row = rows.first.get_attribute("data-contact-id")
    expect(page.locator("nav.pager a.prev")).to_have_count(0)
    page.screenshot(path=str(SCREENSHOTS / "contacts.png"), full_page=True)

    page.click("nav.pager a.next")
    expect(page).to_have_url(re.compile(r"[?&]after=\d+\.[0-9a-f-]+"))
    expect(rows).to_have_count(10)
    expect(page.locator("nav.pager a.next")).to_have_count(0)
    page.click("nav.pager a.prev")
    expect(rows).to_have_count(50)
    expect(rows.first).to_have_attribute("data-contact-id", first_row or "")

    page.fill("input[name=q]", "Hương")
    page.click("form.filters button[type=submit]")
    expect(rows).to_have_count(1)
    expect(rows.first.locator(".tags")).to_contain_text("Phạm Thị Hương")

    national = numbers[17]
    page.fill("input[name=q]", national[-7:])
    page.click("form.filters button[type=submit]")
    expect(rows).to_have_count(1)
    expect(rows.first.locator(".phone")).to_have_text(national)

    page.fill("input[name=q]", "không ai tên thế này")
    page.click("form.filters button[type=submit]")
    expect(page.locator("p.empty")).to_have_text("Không có liên hệ nào khớp.")


def test_the_contacts_table_filters_by_status_and_last_outcome(page: Page, dashboard: Dashboard) -> None:
    campaign_id = new_campaign(dashboard, "Filters")
    answers, busy, missing = phone(1), phone(3), phone(8)
    add_contacts(dashboard, campaign_id, *(contact(n) for n in (answers, busy, missing)))
    page.goto(f"{dashboard.url}/campaigns/{campaign_id}")
    expect(page.locator("[data-stat=attempts]")).to_have_text("3", timeout=30_000)

    page.click("td a[href$='status=done']")
    rows = page.locator("table.contacts tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first.locator(".phone")).to_have_text(answers)
    expect(page.locator("select[name=status]")).to_have_value("done")

    page.select_option("select[name=status]", "")
    page.select_option("select[name=outcome]", "busy")
    page.click("form.filters button[type=submit]")
    expect(rows).to_have_count(1)
    expect(rows.first.locator(".phone")).to_have_text(busy)
    expect(rows.first.locator(".badge")).to_have_text("Chờ gọi lại")

    page.select_option("select[name=outcome]", "invalid_number")
    page.click("form.filters button[type=submit]")
    expect(rows.first.locator(".phone")).to_have_text(missing)
    page.click("text=Bỏ lọc")
    expect(rows).to_have_count(3)


def test_a_second_accounts_user_gets_the_missing_page_for_contacts_and_recordings(
    page: Page, dashboard: Dashboard
) -> None:
    campaign_id = new_campaign(dashboard, "Private calls", record=True)
    [contact_id] = add_contacts(dashboard, campaign_id, contact(phone(9)))
    page.goto(f"{dashboard.url}/contacts/{contact_id}")
    expect(page.locator("article.attempt audio")).to_have_count(1, timeout=30_000)
    attempt_id = api(dashboard, "GET", f"/contacts/{contact_id}")["result"]["call_attempts"][0]["id"]
    assert page.request.get(f"{dashboard.url}/recordings/{attempt_id}").status == 200

    other = other_account(dashboard)
    page.context.clear_cookies()
    login(page, dashboard.url, other.email, other.password)
    for path in (
        f"/contacts/{contact_id}",
        f"/recordings/{attempt_id}",
        "/recordings/000000000000000000000000",
    ):
        response = page.goto(dashboard.url + path)
        assert response is not None and response.status == 404, path
        expect(page.locator("h2")).to_have_text("Không tìm thấy")
