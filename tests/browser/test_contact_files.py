"""The contact upload in Chromium, as an operator does it: choose a CSV with a bad row, keep the
pre-filled mapping, read the row in the validation report (its reason in Vietnamese), confirm,
watch the progress bar finish without reloading, then export the campaign to XLSX and read it
back with openpyxl."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from tests.browser.conftest import SCREENSHOTS, Dashboard


def test_upload_a_csv_with_a_bad_row_import_it_and_export_xlsx(
    page: Page, dashboard: Dashboard, tmp_path: Path
):
    campaign = dashboard.demo.campaign_id
    sheet = tmp_path / "khach-hang.csv"
    sheet.write_text(
        "Số điện thoại;Họ tên;Số tiền\r\n"
        "0912000001;Nguyễn Lan;150000\r\n"
        "09120abc02;Sai số;1\r\n"
        "0912000003;Trần Minh;250000\r\n",
        encoding="utf-8-sig",
    )
    page.goto(f"{dashboard.url}/campaigns/{campaign}/import")
    expect(page.locator("input[type=file]")).to_have_count(1)
    page.set_input_files("input[type=file]", str(sheet))
    page.click("form.upload button[type=submit]")

    # The mapping form, pre-filled from the headers and the demo scenario's fields.
    expect(page.locator("#col-0")).to_have_value("phone_number")
    expect(page.locator("#col-1")).to_have_value("ho_ten")
    page.click("form.mapping button[type=submit]")

    report = page.locator("table.rejected tbody tr")
    expect(report).to_have_count(1)
    expect(report.locator("td").nth(0)).to_have_text("3")
    expect(report.locator("td").nth(1)).to_have_text("09120abc02")
    expect(report.locator("td").nth(2)).to_have_text(
        "Số điện thoại chỉ được có chữ số, khoảng trắng và các ký tự + . - ( ) /, không có 'a'."
    )
    page.screenshot(path=str(SCREENSHOTS / "contact-import-report.png"), full_page=True)

    page.click("form.confirm button[type=submit]")
    expect(page.locator(".import-done")).to_contain_text("Đã nhập 2 liên hệ", timeout=30_000)

    page.goto(f"{dashboard.url}/campaigns/{campaign}/import")
    with page.expect_download() as download:
        page.click(".export-buttons a[href$='format=xlsx']")
    target = tmp_path / "ket-qua.xlsx"
    download.value.save_as(target)
    workbook = load_workbook(target, read_only=True)
    header, *rows = [list(r) for r in workbook.worksheets[0].iter_rows(values_only=True)]
    workbook.close()
    names = {dict(zip(header, row, strict=True)).get("ho_ten") for row in rows}
    assert {"Nguyễn Lan", "Trần Minh"} <= names
