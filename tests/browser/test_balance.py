"""The balance page in the browser: money the Vietnamese way, the ledger newest first, and an
admin's top-up through the same flow as `aicall balance topup`."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import SCREENSHOTS, Dashboard

VND = re.compile(r"^-?\d{1,3}(\.\d{3})* đ$")  # 1.500.000 đ


def test_the_balance_and_ledger_read_in_vietnamese_money_and_a_top_up_lands_first(
    page: Page, dashboard: Dashboard
) -> None:
    page.goto(f"{dashboard.url}/balance")
    for stat in ("#balance-value", "#reserved-value", "#available-value", "#price-value"):
        expect(page.locator(stat)).to_have_text(VND)
    demo_credit = page.locator("table.ledger tr[data-kind=topup]", has_text="demo credit")
    expect(demo_credit.locator("td.amount")).to_have_text("+1.000.000 đ")

    page.fill("#topup-form input[name=amount]", "1.500.000")
    page.fill("#topup-form input[name=note]", "Chuyển khoản tháng 11")
    page.click("#topup-form button[type=submit]")
    expect(page.locator(".notice")).to_contain_text("Đã nạp 1.500.000 đ. Số dư mới:")
    newest = page.locator("table.ledger tbody tr").first
    expect(newest.locator("td.amount")).to_have_text("+1.500.000 đ")
    expect(newest).to_contain_text("Nạp tiền")
    expect(newest).to_contain_text(f"Chuyển khoản tháng 11 ({dashboard.demo.login_email})")
    expect(newest.locator("td").nth(3)).to_have_text(VND)
    page.screenshot(path=str(SCREENSHOTS / "balance.png"), full_page=True)


def test_a_bad_amount_is_refused_next_to_the_field_and_kept(page: Page, dashboard: Dashboard) -> None:
    page.goto(f"{dashboard.url}/balance")
    page.fill("#topup-form input[name=amount]", "một triệu")
    page.click("#topup-form button[type=submit]")
    expect(page.locator("#e-amount")).to_have_text("Hãy nhập số tiền là số nguyên đồng, ví dụ 500.000.")
    expect(page.locator("#topup-form input[name=amount]")).to_have_value("một triệu")
