"""The scenario editor in a browser: build a keypad menu, see it drawn, listen to it, have it
reviewed; errors next to their fields; admins only approve; other accounts see a 404."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, Page, expect

from aicall.accounts import service as account_service
from aicall.accounts import users as user_service
from aicall.accounts.secrets_box import SecretBox
from tests.browser.conftest import SCREENSHOTS, Dashboard, login
from tests.integration.support import SECRET_KEY
from tests.unit.dashboard.language import english_words

PASSWORD = "mat-khau-du-dai"


@dataclass
class ReviewAccount:
    """An account whose scenarios wait for review (the demo's approve themselves)."""

    application_name: str
    admin_email: str
    member_email: str
    stranger_email: str


@pytest.fixture(scope="module")
def accounts(dashboard: Dashboard) -> ReviewAccount:
    with dashboard.db.transaction() as session:
        account = account_service.create_account(session=session, name="Công ty Duyệt")
        app = account_service.create_application(
            session=session, box=SecretBox(SECRET_KEY), account_id=account.id, name="Ứng dụng thu nợ"
        ).application
        other = account_service.create_account(session=session, name="Công ty Khác")
        for email, account_id, admin in [
            ("duyet@congty.vn", account.id, True),
            ("nhanvien@congty.vn", account.id, False),
            ("nguoila@khac.vn", other.id, True),
        ]:
            user_service.create_user(
                session=session, account_id=account_id, email=email, password=PASSWORD, is_admin=admin
            )
    return ReviewAccount(app.name, "duyet@congty.vn", "nhanvien@congty.vn", "nguoila@khac.vn")


@pytest.fixture
def person(browser: Browser, dashboard: Dashboard) -> Iterator[Callable[[str], Page]]:
    """A browser context signed in as the given user (each its own cookies)."""
    contexts = []

    def sign_in(email: str) -> Page:
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        login(page, dashboard.url, email, PASSWORD)
        return page

    yield sign_in
    for context in contexts:
        context.close()


def new_scenario(page: Page, dashboard: Dashboard, name: str, application: str | None = None) -> str:
    """Create a scenario with the list page's form; returns its id (the editor is open)."""
    page.goto(f"{dashboard.url}/scenarios")
    form = page.locator("#new-scenario form")
    form.locator("input[name=name]").fill(name)
    if application is not None:
        form.locator("select[name=applicationId]").select_option(label=application)
    form.locator('input[name="personalizedFields[0].name"]').fill("Họ tên")
    form.locator('input[name="personalizedFields[1].name"]').fill("Số tiền")
    form.locator('select[name="personalizedFields[1].readingType"]').select_option("CURRENCY")
    form.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/scenarios/[0-9a-f]{24}\?notice=created$"))
    found = re.search(r"/scenarios/([0-9a-f]{24})", page.url)
    assert found is not None
    return found.group(1)


def add_action(page: Page, label: str, kind: str, text: str) -> str:
    form = page.locator("#add-action form")
    form.locator("input[name=label]").fill(label)
    form.locator("select[name=type]").select_option(kind)
    form.locator("textarea[name=contentText]").fill(text)
    form.locator("button[type=submit]").click()
    card = page.locator(f'details.action-card[data-label="{label}"]')
    expect(card).to_have_attribute("open", "")
    return str(card.get_attribute("data-action-id"))


def test_a_keypad_menu_is_built_drawn_listened_to_and_approved(
    person: Callable[[str], Page],
    dashboard: Dashboard,
    accounts: ReviewAccount,
    require_tool: Callable[[str], str],
) -> None:
    require_tool("espeak-ng")
    page = person(accounts.admin_email)
    scenario_id = new_scenario(page, dashboard, "Nhắc thanh toán tháng 11", accounts.application_name)
    confirm = add_action(page, "xac_nhan", "END_CALL", "Cảm ơn {{ho_ten}} đã xác nhận. Chào tạm biệt.")
    call_back = add_action(page, "goi_lai", "PLAY_MESSAGE", "Chúng tôi sẽ gọi lại cho quý khách sau.")

    start = page.locator('details.action-card[data-label="start"]')
    start.locator("summary").click()
    start.locator('textarea[name="contentText"]').fill(
        "Xin chào {{ho_ten}}, quý khách còn nợ {{so_tien}}. Bấm 1 để xác nhận, bấm 2 để được gọi lại."
    )
    start.locator('input[name="responses[0].keyPadMatch"]').fill("1")
    start.locator('select[name="responses[0].nextActionId"]').select_option(label="xac_nhan")
    start.locator('input[name="responses[1].keyPadMatch"]').fill("2")
    start.locator('select[name="responses[1].nextActionId"]').select_option(label="goi_lai")
    start.locator("form.action-form button[type=submit]").click()
    expect(page.locator(".notice")).to_have_text("Đã lưu.")

    graph = page.locator("#graph svg")
    start_id = page.locator('details.action-card[data-label="start"]').get_attribute("data-action-id")
    for label in ("start", "xac_nhan", "goi_lai"):
        expect(graph.locator(f'g.node[data-label="{label}"]')).to_be_visible()
    for key, target in [("1", confirm), ("2", call_back)]:
        edge = graph.locator(f'g.edge[data-kind="key"][data-key="{key}"]')
        expect(edge).to_have_attribute("data-from", str(start_id))
        expect(edge).to_have_attribute("data-to", target)
        expect(edge.locator("text.edge-label")).to_have_text(key)

    listen = page.locator("#listen")
    listen.locator("select[name=actionId]").select_option(str(start_id))
    listen.locator('input[name="values.ho_ten"]').fill("Lan")
    listen.locator('input[name="values.so_tien"]').fill("1.500.000")
    listen.locator("button[type=submit]").click()
    expect(page.locator("#listen .spoken")).to_contain_text("một triệu năm trăm nghìn đồng")
    audio = page.locator("#listen audio")
    expect(audio).to_have_attribute("src", re.compile(rf"^/scenarios/{scenario_id}/audio/\w+\.wav\?"))
    played = page.request.get(dashboard.url + str(audio.get_attribute("src")))
    assert played.status == 200
    assert played.headers["content-type"] == "audio/wav"
    assert played.body()[:4] == b"RIFF"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "scenario-editor.png"), full_page=True)

    page.locator("#submit-review").click()
    expect(page.locator(".scenario-head .scenario-status")).to_have_attribute("data-status", "REVIEWING")
    page.locator("#approve").click()
    expect(page.locator(".scenario-head .scenario-status")).to_have_attribute("data-status", "ACTIVE")
    expect(page.locator(".scenario-head")).to_contain_text("cuộc gọi đang dùng phiên bản")

    page.goto(f"{dashboard.url}/scenarios")
    row = page.locator(f'tr[data-scenario-id="{scenario_id}"]')
    expect(row.locator(".scenario-status")).to_have_attribute("data-status", "ACTIVE")
    page.screenshot(path=str(SCREENSHOTS / "scenarios.png"), full_page=True)


def test_an_unknown_tag_and_a_bad_key_are_shown_next_to_their_fields_with_the_typed_values(
    page: Page, dashboard: Dashboard
) -> None:
    new_scenario(page, dashboard, "Kịch bản có lỗi")
    start = page.locator('details.action-card[data-label="start"]')
    start.locator("summary").click()
    typed = "Xin chào {{ten_khach}}, bấm 1."
    start.locator('textarea[name="contentText"]').fill(typed)
    start.locator('input[name="responses[0].keyPadMatch"]').fill("1")
    start.locator("form.action-form button[type=submit]").click()
    start = page.locator('details.action-card[data-label="start"]')
    prompt = start.locator('textarea[name="contentText"]')
    expect(prompt).to_have_attribute("aria-invalid", "true")
    expect(prompt).to_have_value(typed)
    error = page.locator("#" + str(prompt.get_attribute("aria-describedby")))
    expect(error).to_contain_text("Thẻ {{ten_khach}} không phải trường cá nhân hoá")

    prompt.fill("Xin chào {{ho_ten}}, bấm 1.")
    start.locator('input[name="responses[0].keyPadMatch"]').fill("1x")
    start.locator("form.action-form button[type=submit]").click()
    key = page.locator('details.action-card[data-label="start"] input[name="responses[0].keyPadMatch"]')
    expect(key).to_have_attribute("aria-invalid", "true")
    expect(key).to_have_value("1x")
    expect(page.locator("#" + str(key.get_attribute("aria-describedby")))).to_contain_text(
        "'1x' không phải phím hợp lệ"
    )

    page.locator("#submit-review").click()  # the start menu's prompt is still empty
    expect(page.locator("#submit-errors")).to_contain_text("Lời thoại đang trống")
    prompt = page.locator('details.action-card[data-label="start"] textarea[name="contentText"]')
    expect(prompt).to_have_attribute("aria-invalid", "true")


def test_a_sample_value_its_field_cannot_read_is_refused_in_vietnamese(
    page: Page, dashboard: Dashboard
) -> None:
    page.goto(f"{dashboard.url}/scenarios/{dashboard.demo.scenario_id}")
    listen = page.locator("#listen")
    listen.locator('input[name="values.ho_ten"]').fill("Lan")
    listen.locator('input[name="values.so_tien"]').fill("12a")
    listen.locator("button[type=submit]").click()
    error = page.locator("#e-listen-values-so_tien")
    expect(error).to_have_text(
        "Không đọc được theo kiểu CURRENCY: '12a' không phải số tiền: có ký tự 'a'; chỉ được dùng chữ số "
        "và dấu phân cách (. , hoặc khoảng trắng)."
    )
    assert english_words(error.inner_text()) == []


def test_a_member_who_is_not_an_admin_cannot_approve(
    person: Callable[[str], Page], dashboard: Dashboard, accounts: ReviewAccount
) -> None:
    page = person(accounts.member_email)
    scenario_id = new_scenario(page, dashboard, "Kịch bản chờ duyệt", accounts.application_name)
    add_action(page, "tam_biet", "END_CALL", "Tạm biệt.")
    start = page.locator('details.action-card[data-label="start"]')
    start.locator("summary").click()
    start.locator('textarea[name="contentText"]').fill("Bấm 1 để kết thúc.")
    start.locator('input[name="responses[0].keyPadMatch"]').fill("1")
    start.locator('select[name="responses[0].nextActionId"]').select_option(label="tam_biet")
    start.locator("form.action-form button[type=submit]").click()
    page.locator("#submit-review").click()
    expect(page.locator(".scenario-head .scenario-status")).to_have_attribute("data-status", "REVIEWING")
    expect(page.locator("#review")).to_contain_text("Đang chờ quản trị viên duyệt.")
    expect(page.locator("#approve")).to_have_count(0)

    token = str(page.locator("input[name=csrf_token]").first.get_attribute("value"))
    refused = page.request.post(
        f"{dashboard.url}/scenarios/{scenario_id}/approve", form={"csrf_token": token}, max_redirects=0
    )
    assert refused.status == 403
    page.reload()
    expect(page.locator(".scenario-head .scenario-status")).to_have_attribute("data-status", "REVIEWING")


def test_another_accounts_user_gets_the_not_found_page(
    person: Callable[[str], Page], dashboard: Dashboard, accounts: ReviewAccount
) -> None:
    stranger = person(accounts.stranger_email)
    answer = stranger.goto(f"{dashboard.url}/scenarios/{dashboard.demo.scenario_id}")
    assert answer is not None and answer.status == 404
    expect(stranger.locator("main h2")).to_have_text("Không tìm thấy")
    stranger.goto(f"{dashboard.url}/scenarios")
    expect(stranger.locator("main")).not_to_contain_text("Nhắc thanh toán (demo)")
