"""The pages work under their Content-Security-Policy (issue 11): Chromium reports no violation on
any page, htmx still sends its CSRF header (hx-headers) and polls, and a form that asks before
it is sent still asks (data-confirm, /static/confirm.js)."""

from __future__ import annotations

import re

from playwright.sync_api import ConsoleMessage, Page, expect

from tests.browser.conftest import Dashboard


def _watch(page: Page) -> list[str]:
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" or "Content Security Policy" in message.text:
            problems.append(f"console: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    # The browser's own report of anything the policy blocked (CSP Level 3 §5.3).
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e =>"
        " console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));"
    )
    return problems


def test_every_page_renders_under_its_policy_without_a_violation(page: Page, dashboard: Dashboard) -> None:
    problems = _watch(page)
    demo = dashboard.demo
    paths = [
        "/campaigns",
        "/campaigns/new",
        f"/campaigns/{demo.campaign_id}",
        f"/campaigns/{demo.campaign_id}/contacts",
        "/scenarios",
        f"/scenarios/{demo.scenario_id}",  # the action graph is inline SVG
        "/apps",
        f"/apps/{demo.application_id}",
        "/balance",
        "/telephony",
        "/voice",
        "/docs",  # Swagger UI from its vendored files
    ]
    for path in paths:
        response = page.goto(dashboard.url + path)
        assert response is not None and response.ok, path
        assert "default-src 'self'" in response.headers["content-security-policy"], path
        page.wait_for_load_state("networkidle")
    expect(page.locator("#swagger-ui .info")).to_be_visible()
    assert problems == []


def test_htmx_requests_carry_the_csrf_header_under_the_policy(page: Page, dashboard: Dashboard) -> None:
    problems = _watch(page)
    page.goto(f"{dashboard.url}/campaigns/{dashboard.demo.campaign_id}")
    with page.expect_request(re.compile(r"/live")) as polled:
        pass
    assert polled.value.headers.get("x-csrf-token")
    assert problems == []


def test_a_form_that_asks_first_still_asks_and_a_no_keeps_it_unsent(page: Page, dashboard: Dashboard) -> None:
    page.goto(f"{dashboard.url}/campaigns/{dashboard.demo.campaign_id}")
    questions: list[str] = []

    def answer_no(dialog) -> None:  # type: ignore[no-untyped-def]
        questions.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", answer_no)
    page.locator("form[action$='/stop'] button").click()
    page.wait_for_timeout(300)
    assert questions and "Kết thúc chiến dịch" in questions[0]
    expect(page).to_have_url(re.compile(rf"/campaigns/{dashboard.demo.campaign_id}$"))
    expect(page.locator("form[action$='/stop']")).to_be_visible()  # still running: not stopped
