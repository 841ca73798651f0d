"""The voice page in the browser: an admin gives the account its own recogniser and Vbee
credentials, sees only the keys' last 4 characters, is told next to the field what is wrong,
and goes back to the platform's settings."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from aicall.accounts import speech_settings, voice_credentials
from aicall.accounts.secrets_box import SecretBox
from tests.browser.conftest import SCREENSHOTS, Dashboard
from tests.integration.support import SECRET_KEY

ASR_KEY = "sk-browser-asr-key-5e2d"
VBEE_TOKEN = "vbee-browser-token-77c0"


@pytest.fixture
def clean(dashboard: Dashboard) -> Iterator[None]:
    """The demo account back on the platform's settings afterwards: the server is shared."""
    yield
    with dashboard.db.transaction() as session:
        speech_settings.clear_asr(session=session, account_id=dashboard.demo.account_id)
        for vendor in ("vbee", "fpt"):
            voice_credentials.remove_credentials(
                session=session, account_id=dashboard.demo.account_id, engine=vendor
            )


def test_an_admin_sets_the_accounts_recogniser_and_vbee_credentials_and_keys_stay_hidden(
    page: Page, dashboard: Dashboard, clean: None
) -> None:
    page.goto(f"{dashboard.url}/campaigns")
    page.click("nav a[href='/voice']")
    expect(page.locator("#asr-engine-value")).to_have_text("Của nền tảng (echo)")

    form = page.locator("#asr-form")
    form.locator("select[name=asr_engine]").select_option("openai")
    form.locator("input[name=asr_base_url]").fill("http://127.0.0.1:9000/v1")
    form.locator("input[name=asr_api_key]").fill(ASR_KEY)
    form.locator("input[name=asr_timeout]").fill("8")
    form.locator("button[type=submit]").click()
    expect(page.locator("#e-asr_base_url")).to_have_text(
        "Không dùng được 127.0.0.1 cho dịch vụ giọng nói: đây là địa chỉ loopback của chính máy chủ; "
        "địa chỉ trong mạng nội bộ do người vận hành đặt bằng lệnh aicall voice."
    )
    expect(page.locator("#asr-form input[name=asr_base_url]")).to_have_value("http://127.0.0.1:9000/v1")
    expect(page.locator("#asr-form input[name=asr_api_key]")).to_have_value("")  # never sent back

    form.locator("input[name=asr_base_url]").fill("https://93.184.216.34/v1")
    form.locator("input[name=asr_api_key]").fill(ASR_KEY)
    form.locator("button[type=submit]").click()
    expect(page.locator(".notice")).to_contain_text("Đã lưu cài đặt nhận dạng giọng nói.")
    expect(page.locator("#asr-engine-value")).to_have_text("openai")
    expect(page.locator("#asr-key-value")).to_have_text("Đã đặt (…5e2d)")
    expect(page.locator("#asr-timeout-value")).to_have_text("8 giây")

    tts = page.locator("#tts-form")
    tts.locator("select[name=tts_engine]").select_option("vbee")
    tts.locator("input[name=tts_app_id]").fill("app-browser")
    tts.locator("input[name=tts_token]").fill(VBEE_TOKEN)
    tts.locator("button[type=submit]").click()
    row = page.locator("#tts-credentials tr[data-vendor=vbee]")
    expect(row.locator(".key-hint")).to_have_text("Đã đặt (…77c0)")
    assert ASR_KEY not in page.content() and VBEE_TOKEN not in page.content()
    page.screenshot(path=str(SCREENSHOTS / "voice.png"), full_page=True)

    page.once("dialog", lambda dialog: dialog.accept())
    row.locator("button[type=submit]").click()
    expect(page.locator("#tts-none")).to_be_visible()
    page.click("#asr-clear button[type=submit]")
    expect(page.locator("#asr-engine-value")).to_have_text("Của nền tảng (echo)")
    with dashboard.db.reading() as session:
        box = SecretBox(SECRET_KEY)
        assert speech_settings.read(session=session, box=box, account_id=dashboard.demo.account_id) is None
