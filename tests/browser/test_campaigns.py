"""Campaign pages in Chromium: the list, a new campaign, the live campaign page, its buttons, its
scenario picker and its settings form, on the engine dialling the simulator at 20x; the
services' refusals said in the page's language."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, expect

from tests.browser.campaign_support import add_contacts, api, contact, new_campaign, other_account, phone
from tests.browser.conftest import SCREENSHOTS, Dashboard, login
from tests.unit.dashboard.language import english_words

DAY_NAMES = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def test_the_campaign_page_counts_calls_as_they_happen_without_reloading(
    page: Page, dashboard: Dashboard
) -> None:
    campaign_id = new_campaign(dashboard, "Live counts", record=True)
    page.goto(f"{dashboard.url}/campaigns/{campaign_id}")
    expect(page.locator("[data-stat=progress]")).to_have_text("0 / 0")
    page.evaluate("window.notReloaded = true")

    # 1 and 9 answer, 3 is busy (re-called after a minute), 8 does not exist.
    numbers = [phone(1), phone(9), phone(3), phone(8)]
    add_contacts(dashboard, campaign_id, *(contact(n) for n in numbers))

    expect(page.locator("[data-stat=progress]")).to_have_text(re.compile(r"^[0-4] / 4$"))
    expect(page.locator("td[data-outcome=answered]")).to_have_text("2", timeout=30_000)
    expect(page.locator("td[data-outcome=busy]")).to_have_text("1")
    expect(page.locator("td[data-outcome=invalid_number]")).to_have_text("1")
    expect(page.locator("td[data-status=done]")).to_have_text("2")
    expect(page.locator("td[data-status=retry_wait]")).to_have_text("1")
    expect(page.locator("[data-stat=progress]")).to_have_text("3 / 4")
    expect(page.locator("[data-stat=answer-rate]")).to_have_text("66,7 %")
    expect(page.locator("[data-reason=retry_later]")).to_contain_text("1 liên hệ chờ gọi lại")
    expect(page.locator("[data-stat=cost]")).to_have_text(re.compile(r"^[1-9][\d.]* đ$"))
    expect(page.locator("svg.chart g.bucket").first).to_be_attached()
    assert page.evaluate("window.notReloaded") is True
    page.screenshot(path=str(SCREENSHOTS / "campaign.png"), full_page=True)
    for kind in ("csv", "xlsx"):  # the export links lead to the export downloads
        href = page.locator(f"a[href$='/export?format={kind}']").get_attribute("href")
        assert page.request.get(dashboard.url + str(href)).status == 200


def test_the_campaigns_list_shows_progress_and_the_pause_reason_in_words(
    page: Page, dashboard: Dashboard
) -> None:
    campaign_id = new_campaign(dashboard, "Paused for the list")
    add_contacts(dashboard, campaign_id, contact(phone(6)))
    api(dashboard, "POST", f"/campaigns/{campaign_id}/pause")
    page.goto(f"{dashboard.url}/campaigns")
    row = page.locator(f"tr[data-campaign-id='{campaign_id}']")
    expect(row.locator(".badge")).to_have_text("Tạm dừng")
    expect(row.locator(".pause-reason")).to_have_text("Người dùng tạm dừng")
    expect(row.locator(".done-total")).to_have_text(re.compile(r"^[01] / 1$"))
    demo = page.locator(f"tr[data-campaign-id='{dashboard.demo.campaign_id}']")
    expect(demo.locator(".badge")).to_have_text("Đang chạy")
    page.screenshot(path=str(SCREENSHOTS / "campaigns.png"), full_page=True)


def test_a_new_campaign_from_the_form_keeps_what_was_typed_and_shows_errors_by_the_fields(
    page: Page, dashboard: Dashboard
) -> None:
    page.goto(f"{dashboard.url}/campaigns")
    page.click("a.new-campaign")
    expect(page).to_have_url(re.compile(r"/campaigns/new$"))
    # Other tests add applications to the demo account: choose the one the scenario belongs to.
    page.select_option("select[name=application_id]", dashboard.demo.application_id)
    page.select_option("select[name=scenario_id]", dashboard.demo.scenario_id)
    page.fill("input[name=hours]", "08:00-25:00")
    page.click("form.campaign-new button[type=submit]")

    expect(page.locator("#e-name")).to_have_text("Không được để trống.")
    expect(page.locator("#e-hours")).to_contain_text("Giờ không hợp lệ")
    expect(page.locator("input[name=hours]")).to_have_value("08:00-25:00")
    expect(page.locator("select[name=scenario_id]")).to_have_value(dashboard.demo.scenario_id)

    page.fill("input[name=name]", "Made in the browser")
    page.fill("input[name=hours]", "08:00-11:30, 13:30-20:00")
    page.uncheck("input[name=days][value=sun]")
    page.click("form.campaign-new button[type=submit]")

    expect(page).to_have_url(re.compile(r"/campaigns/[0-9a-f]{24}$"))
    expect(page.locator("h2")).to_have_text("Made in the browser")
    expect(page.locator("#live .badge")).to_have_text("Nháp")
    expect(page.locator("input[name=hours]")).to_have_value("08:00-11:30, 13:30-20:00")
    campaign_id = page.url.rsplit("/", 1)[1]
    settings = api(dashboard, "GET", f"/campaigns/{campaign_id}")["result"]["settings"]
    assert settings["days"] == DAY_NAMES[:6]
    assert [(h["start"], h["end"]) for h in settings["hours"]] == [
        ("08:00:00", "11:30:00"),
        ("13:30:00", "20:00:00"),
    ]

    page.click("#live button[value=start]")
    expect(page.locator("#live .badge")).to_have_text("Đang chạy")


def test_pause_and_resume_go_through_the_same_rules_as_the_api(page: Page, dashboard: Dashboard) -> None:
    campaign_id = new_campaign(dashboard, "Pause and resume")
    page.goto(f"{dashboard.url}/campaigns/{campaign_id}")
    page.click("#live button[value=pause]")
    expect(page.locator("#live .badge")).to_have_text("Tạm dừng")
    expect(page.locator("#live .pause-reason")).to_have_text("Người dùng tạm dừng")
    assert api(dashboard, "GET", f"/campaigns/{campaign_id}")["result"]["pause_reason"] == "manual"

    page.click("#live button[value=resume]")
    expect(page.locator("#live .badge")).to_have_text("Đang chạy")

    # A form from a page that fell behind (resume a running campaign): the service refuses it.
    token = page.locator("input[name=csrf_token]").first.input_value()
    stale = page.request.post(f"{dashboard.url}/campaigns/{campaign_id}/resume", form={"csrf_token": token})
    assert stale.status == 409
    assert "Không thể tiếp tục chiến dịch ở trạng thái “Đang chạy”." in stale.text()


def test_a_draft_without_a_scenario_cannot_start_and_the_page_says_why_in_its_language(
    page: Page, dashboard: Dashboard
) -> None:
    body = api(
        dashboard, "POST", "/campaigns", {"name": "No scenario", "settings": {"pool_hotline_key": "NOPE"}}
    )
    campaign_id = body["result"]["id"]
    page.goto(f"{dashboard.url}/campaigns/{campaign_id}")
    page.click("#live button[value=start]")
    refusal = page.locator(".action-error")
    expect(refusal).to_have_text(
        "Chiến dịch chưa thể bắt đầu. Kịch bản của chiến dịch: Chiến dịch chưa có kịch bản (không có gì để "
        "nói với người được gọi): hãy chọn một kịch bản đã duyệt. Nhóm số gọi ra: Không có nhóm số nào có "
        "khóa 'NOPE'."
    )
    assert english_words(refusal.inner_text()) == []
    expect(page.locator("#live .badge")).to_have_text("Nháp")

    page.goto(f"{dashboard.url}/lang/en?next=/campaigns/{campaign_id}")
    page.click("#live button[value=start]")
    expect(refusal).to_contain_text(
        "The campaign cannot start yet. The campaign's scenario: The campaign has no scenario (nothing to "
        "say to the people it calls): give it an approved scenario."
    )
    expect(refusal).to_contain_text("No hotline pool has the key 'NOPE'.")


def test_a_draft_made_without_a_scenario_gets_one_on_its_page_and_runs(
    page: Page, dashboard: Dashboard
) -> None:
    page.goto(f"{dashboard.url}/campaigns/new")
    page.fill("input[name=name]", "Chọn kịch bản sau")
    page.select_option("select[name=application_id]", dashboard.demo.application_id)
    page.fill("input[name=hours]", "00:00-24:00")
    page.click("form.campaign-new button[type=submit]")
    expect(page.locator("#live .badge")).to_have_text("Nháp")
    campaign_id = page.url.rsplit("/", 1)[1]
    picker = page.locator("#scenario select[name=scenario_id]")
    expect(picker).to_have_value("")  # "— chưa chọn —"
    # Only approved scenarios of the campaign's own application are offered.
    offered = picker.locator("option").evaluate_all("options => options.map(o => o.value)")
    assert offered[0] == "" and dashboard.demo.scenario_id in offered
    for scenario_id in offered[1:]:
        scenario = api(dashboard, "GET", f"/scenarios/{scenario_id}")["result"]
        assert scenario["published_version"] is not None, scenario

    page.click("#live button[value=start]")
    expect(page.locator(".action-error")).to_contain_text("Chiến dịch chưa có kịch bản")

    picker.select_option(dashboard.demo.scenario_id)
    page.click("#scenario button[type=submit]")
    expect(page.locator("#scenario .saved")).to_have_text("Đã đổi kịch bản.")
    expect(page.locator(".page-head")).to_contain_text("Nhắc thanh toán (demo)")
    assert (
        api(dashboard, "GET", f"/campaigns/{campaign_id}")["result"]["scenario_id"]
        == dashboard.demo.scenario_id
    )
    add_contacts(dashboard, campaign_id, contact(phone(1)))

    page.click("#live button[value=start]")
    expect(page.locator("#live .badge")).to_have_text("Đang chạy")
    expect(page.locator("td[data-outcome=answered]")).to_have_text("1", timeout=30_000)
    # Running: no picker, and a form from a page that fell behind is refused in words.
    expect(page.locator("#scenario select")).to_have_count(0)
    expect(page.locator("#scenario")).to_contain_text("Tạm dừng chiến dịch để đổi kịch bản.")
    token = page.locator("input[name=csrf_token]").first.input_value()
    other = api(dashboard, "POST", "/scenarios", {"name": "Khác", "ttsConfig": {"voiceCode": VOICE}})
    actions = api(dashboard, "GET", f"/scenario-actions?scenarioId={other['result']['id']}")["result"]
    start = next(action for action in actions if action["label"] == "start")
    api(dashboard, "PUT", f"/scenario-actions/{start['id']}", {"contentText": "Xin chào."})
    api(dashboard, "POST", f"/scenarios/{other['result']['id']}/submit")  # the demo account approves
    stale = page.request.post(
        f"{dashboard.url}/campaigns/{campaign_id}/scenario",
        form={"csrf_token": token, "scenario_id": other["result"]["id"]},
    )
    assert stale.status == 409
    assert "Chiến dịch đang chạy: hãy tạm dừng trước khi đổi kịch bản." in stale.text()


VOICE = "hn_female_ngochuyen_full_48k-fhg"


def test_a_scenario_the_campaign_cannot_take_is_refused_next_to_the_picker(
    page: Page, dashboard: Dashboard
) -> None:
    body = api(dashboard, "POST", "/campaigns", {"name": "Picker refusals"})
    campaign_id = body["result"]["id"]
    page.goto(f"{dashboard.url}/campaigns/{campaign_id}")
    token = page.locator("input[name=csrf_token]").first.input_value()
    # A draft scenario (not offered) and another account's scenario are refused alike.
    draft = api(dashboard, "POST", "/scenarios", {"name": "Chưa duyệt"})["result"]["id"]
    for scenario_id in (draft, "000000000000000000000000"):
        refused = page.request.post(
            f"{dashboard.url}/campaigns/{campaign_id}/scenario",
            form={"csrf_token": token, "scenario_id": scenario_id},
        )
        assert refused.status == 400
        assert "Chọn một kịch bản đã duyệt của ứng dụng này." in refused.text()
    assert api(dashboard, "GET", f"/campaigns/{campaign_id}")["result"]["scenario_id"] is None

    api(dashboard, "POST", f"/campaigns/{campaign_id}/stop")
    page.reload()
    expect(page.locator("#scenario select")).to_have_count(0)
    closed = page.request.post(
        f"{dashboard.url}/campaigns/{campaign_id}/scenario",
        form={"csrf_token": token, "scenario_id": dashboard.demo.scenario_id},
    )
    assert closed.status == 409
    assert "Chiến dịch đã kết thúc: không thể đổi kịch bản." in closed.text()
    assert api(dashboard, "GET", f"/campaigns/{campaign_id}")["result"]["scenario_id"] is None


def test_a_settings_error_is_shown_next_to_its_field_and_keeps_the_value(
    page: Page, dashboard: Dashboard
) -> None:
    campaign_id = new_campaign(dashboard, "Settings form")
    page.goto(f"{dashboard.url}/campaigns/{campaign_id}")
    page.fill("input[name=max_concurrent]", "0")
    page.fill("input[name='retry.busy.max_attempts']", "3")
    page.click("form.settings button[type=submit]")

    expect(page.locator("[id='e-max_concurrent']")).to_have_text("Phải lớn hơn hoặc bằng 1.")
    expect(page.locator("input[name=max_concurrent]")).to_have_value("0")
    expect(page.locator("input[name=max_concurrent]")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("input[name='retry.busy.max_attempts']")).to_have_value("3")
    settings = api(dashboard, "GET", f"/campaigns/{campaign_id}")["result"]["settings"]
    assert settings["max_concurrent"] == 10  # nothing stored

    page.fill("input[name=max_concurrent]", "4")
    page.fill("input[name=calls_per_second]", "2,5")
    page.click("form.settings button[type=submit]")
    expect(page.locator(".saved")).to_have_text("Đã lưu cài đặt.")
    expect(page.locator("input[name=max_concurrent]")).to_have_value("4")
    body = api(dashboard, "GET", f"/campaigns/{campaign_id}")["result"]
    assert body["settings"]["max_concurrent"] == 4
    assert body["settings"]["calls_per_second"] == 2.5
    assert body["settings"]["retry"]["busy"]["max_attempts"] == 3
    # Only what changed is the campaign's own: the rest still follows its scenario.
    assert set(body["overrides"]) == {"max_concurrent", "calls_per_second", "retry"}


def test_a_campaign_outside_its_calling_window_says_until_when(page: Page, dashboard: Dashboard) -> None:
    today = DAY_NAMES[datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).weekday()]
    campaign_id = new_campaign(dashboard, "Not today", days=[d for d in DAY_NAMES if d != today])
    add_contacts(dashboard, campaign_id, contact(phone(1)))
    page.goto(f"{dashboard.url}/campaigns/{campaign_id}")
    expect(page.locator("[data-reason=outside_window]")).to_contain_text(
        re.compile(r"Ngoài khung giờ gọi đến \d\d/\d\d/\d{4} 00:00\.")
    )
    expect(page.locator("td[data-status=pending]")).to_have_text("1")


def test_a_second_accounts_user_gets_the_missing_page_for_the_demos_campaign(
    page: Page, dashboard: Dashboard
) -> None:
    other = other_account(dashboard)
    page.context.clear_cookies()
    login(page, dashboard.url, other.email, other.password)
    expect(page.locator("#campaigns .empty")).to_have_text("Chưa có chiến dịch nào.")
    campaign_id = dashboard.demo.campaign_id
    for path in (
        f"/campaigns/{campaign_id}",
        f"/campaigns/{campaign_id}/live",
        f"/campaigns/{campaign_id}/contacts",
    ):
        response = page.goto(dashboard.url + path)
        assert response is not None and response.status == 404, path
        expect(page.locator("h2")).to_have_text("Không tìm thấy")
    missing = page.goto(f"{dashboard.url}/campaigns/000000000000000000000000")
    assert missing is not None and missing.status == 404
    # Its forms cannot touch the demo's campaign either.
    page.goto(f"{dashboard.url}/campaigns/new")
    token = page.locator("input[name=csrf_token]").first.input_value()
    answer = page.request.post(f"{dashboard.url}/campaigns/{campaign_id}/pause", form={"csrf_token": token})
    assert answer.status == 404
    assert api(dashboard, "GET", f"/campaigns/{campaign_id}")["result"]["status"] == "running"
