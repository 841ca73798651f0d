"""Telephony in the browser: a SIP trunk added with a password that no page ever shows back (not
even the edit form), a pool of caller numbers on it, and the pool's numbers changed through its
edit form (a bad number refused next to the input first, nothing saved); the services' refusals
in Vietnamese."""

from __future__ import annotations

import random
import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import SCREENSHOTS, Dashboard
from tests.unit.dashboard.language import english_words


def test_a_trunk_password_never_reaches_a_page_and_a_pool_dials_through_the_trunk(
    page: Page, dashboard: Dashboard
) -> None:
    suffix = f"{random.randrange(10**4):04d}"
    password = f"Trunk-Pw-{suffix}-secret"
    page.goto(f"{dashboard.url}/telephony")
    page.click("#trunks summary")
    form = page.locator("#trunk-form")
    form.locator("input[name=name]").fill(f"Viettel {suffix}")
    form.locator("input[name=host]").fill("sip.viettel.example.vn")
    form.locator("input[name=username]").fill("aicall")
    form.locator("input[name=password]").fill(password)
    form.locator("input[name=max_concurrent]").fill("30")
    form.locator("input[name=register]").check()
    form.locator("button[type=submit]").click()
    expect(page.locator(".notice")).to_have_text("Đã thêm trunk SIP sip.viettel.example.vn.")
    row = page.locator("table.trunks tr", has_text=f"Viettel {suffix}")
    expect(row).to_contain_text("Đã đặt")
    assert password not in page.content()

    row.locator("a").click()
    expect(page).to_have_url(re.compile(r"/telephony/trunks/[0-9a-f]{24}$"))
    expect(page.locator("#trunk-form input[name=password]")).to_have_value("")
    expect(page.locator("#trunk-form")).to_contain_text("Để trống để giữ mật khẩu hiện tại.")
    expect(page.locator("#trunk-form input[name=host]")).to_have_value("sip.viettel.example.vn")
    assert password not in page.content()
    page.locator("#trunk-form input[name=max_concurrent]").fill("40")
    page.locator("#trunk-form button[type=submit]").click()
    expect(page.locator("table.trunks tr", has_text=f"Viettel {suffix}")).to_contain_text("40")
    expect(page.locator("table.trunks tr", has_text=f"Viettel {suffix}")).to_contain_text("Đã đặt")

    page.click("#pools summary")
    pool = page.locator("#pool-form")
    pool.locator("input[name=key]").fill(f"CSKH_{suffix}")
    pool.locator("select[name=trunk_id]").select_option(label=f"Viettel {suffix} (sip.viettel.example.vn)")
    pool.locator("textarea[name=numbers]").fill("028 7300 1234\n0287300123x")
    pool.locator("button[type=submit]").click()
    expect(page.locator("#e-numbers")).to_contain_text("0287300123x")
    assert english_words(page.locator("#e-numbers").inner_text()) == []
    expect(page.locator("#pool-form textarea[name=numbers]")).to_have_value("028 7300 1234\n0287300123x")
    page.locator("#pool-form textarea[name=numbers]").fill("028 7300 1234\n028 7300 1235")
    page.locator("#pool-form button[type=submit]").click()
    pool_row = page.locator("table.pools tr", has_text=f"CSKH_{suffix}")
    expect(pool_row).to_contain_text("+842873001234")
    expect(pool_row).to_contain_text(f"Viettel {suffix}")
    expect(page.locator("table.pools tr", has_text="POOL_SYSTEM")).to_contain_text("Dùng chung")
    expect(page.locator("table.pools tr", has_text="POOL_SYSTEM").locator("a")).to_have_count(0)
    assert password not in page.content()

    pool_row.locator("a.edit-pool").click()
    expect(page).to_have_url(re.compile(r"/telephony/pools/[0-9a-f]{24}$"))
    numbers = page.locator("#pool-form textarea[name=numbers]")
    expect(numbers).to_have_value("+842873001234\n+842873001235")
    numbers.fill("+842873001234\n028 7300 12xx")
    page.locator("#pool-form button[type=submit]").click()
    expect(page.locator("#e-numbers")).to_have_text(
        "'028 7300 12xx': Số điện thoại chỉ được có chữ số, khoảng trắng và các ký tự + . - ( ) /, "
        "không có 'x'."
    )
    expect(numbers).to_have_value("+842873001234\n028 7300 12xx")
    numbers.fill("+842873001234\n028 7300 1236")
    page.locator("#pool-form input[name=per_number_concurrency]").fill("3")
    page.locator("#pool-form button[type=submit]").click()
    expect(page.locator(".notice")).to_have_text(f"Đã lưu nhóm số CSKH_{suffix}.")
    pool_row = page.locator("table.pools tr", has_text=f"CSKH_{suffix}")
    expect(pool_row).to_contain_text("+842873001236")
    expect(pool_row).to_contain_text("\u00d73")  # calls at once: 3
    expect(pool_row).not_to_contain_text("+842873001235")
    page.screenshot(path=str(SCREENSHOTS / "telephony.png"), full_page=True)


def test_a_trunk_the_service_refuses_is_told_why_in_vietnamese(page: Page, dashboard: Dashboard) -> None:
    page.goto(f"{dashboard.url}/telephony")
    page.click("#trunks summary")
    form = page.locator("#trunk-form")
    form.locator("input[name=host]").fill("127.0.0.1")
    form.locator("input[name=port]").fill("5060")
    form.locator("button[type=submit]").click()
    expect(page.locator("#e-host")).to_have_text(
        "Không dùng được 127.0.0.1 cho máy chủ trunk SIP: đây là địa chỉ loopback của chính máy chủ "
        "(AICALL_SIP_ALLOW_PRIVATE trên máy chủ cho phép địa chỉ nội bộ)."
    )
    form.locator("input[name=host]").fill("sip.example.vn")
    form.locator("input[name=port]").fill("70000")
    form.locator("button[type=submit]").click()
    expect(page.locator("#e-port")).to_have_text("Cổng 70000 nằm ngoài khoảng 1-65535.")
    form.locator("input[name=port]").fill("5060")
    form.locator("input[name=register]").check()
    form.locator("button[type=submit]").click()
    expect(page.locator("#e-username")).to_have_text("Đăng ký (REGISTER) với trunk cần tên đăng nhập SIP.")

    page.goto(f"{dashboard.url}/lang/en")
    page.goto(f"{dashboard.url}/telephony")
    page.click("#trunks summary")
    form.locator("input[name=host]").fill("sip.example.vn")
    form.locator("input[name=port]").fill("70000")
    form.locator("button[type=submit]").click()
    expect(page.locator("#e-port")).to_have_text("Port 70000 is out of range 1-65535.")
