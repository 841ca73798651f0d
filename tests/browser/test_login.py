"""Signing in to the dashboard, the language switch, and the session's protections."""

from __future__ import annotations

import re

import requests
from playwright.sync_api import Page, expect

from tests.browser.conftest import Dashboard, login


def test_demo_login_opens_the_campaigns_page(anonymous_page: Page, dashboard: Dashboard) -> None:
    login(anonymous_page, dashboard.url, dashboard.demo.login_email, dashboard.demo.login_password)
    expect(anonymous_page).to_have_url(re.compile(r"/campaigns$"))
    expect(anonymous_page.locator("header")).to_contain_text(dashboard.demo.login_email)


def test_a_wrong_password_is_refused_next_to_the_form_and_keeps_the_email(
    anonymous_page: Page, dashboard: Dashboard
) -> None:
    login(anonymous_page, dashboard.url, dashboard.demo.login_email, "not the password")
    expect(anonymous_page.locator(".form-error")).to_have_text("Email hoặc mật khẩu không đúng.")
    expect(anonymous_page.locator("input[name=email]")).to_have_value(dashboard.demo.login_email)


def test_a_page_asks_for_login_and_comes_back_after_it(anonymous_page: Page, dashboard: Dashboard) -> None:
    anonymous_page.goto(f"{dashboard.url}/campaigns?status=running")
    expect(anonymous_page).to_have_url(re.compile(r"/login\?next=/campaigns%3Fstatus%3Drunning$"))
    anonymous_page.fill("input[name=email]", dashboard.demo.login_email)
    anonymous_page.fill("input[name=password]", dashboard.demo.login_password)
    anonymous_page.click("button[type=submit]")
    expect(anonymous_page).to_have_url(re.compile(r"/campaigns\?status=running$"))


def test_the_interface_switches_to_english_and_back(page: Page, dashboard: Dashboard) -> None:
    expect(page.locator("nav.mainnav, ul.mainnav").first).to_contain_text("Chiến dịch")
    page.click("text=EN")
    expect(page.locator("ul.mainnav")).to_contain_text("Campaigns")
    page.click("text=VI")
    expect(page.locator("ul.mainnav")).to_contain_text("Chiến dịch")


def test_logout_ends_the_session(page: Page, dashboard: Dashboard) -> None:
    page.click("form[action='/logout'] button")
    expect(page).to_have_url(re.compile(r"/login$"))
    page.goto(f"{dashboard.url}/campaigns")
    expect(page).to_have_url(re.compile(r"/login"))


def test_the_session_cookie_is_httponly_and_samesite(page: Page, dashboard: Dashboard) -> None:
    cookies = {c["name"]: c for c in page.context.cookies()}
    session = cookies["aicall_session"]
    assert session["httpOnly"] is True
    assert session["sameSite"] == "Lax"


def test_a_form_posted_without_the_csrf_token_is_refused(dashboard: Dashboard) -> None:
    http = requests.Session()
    http.get(f"{dashboard.url}/login", timeout=10)
    response = http.post(
        f"{dashboard.url}/login",
        data={"email": dashboard.demo.login_email, "password": dashboard.demo.login_password},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 403
    assert "aicall_session" not in response.headers.get("set-cookie", "") or "uid" not in response.text


def test_login_is_throttled_after_repeated_wrong_passwords(dashboard: Dashboard) -> None:
    http = requests.Session()
    page = http.get(f"{dashboard.url}/login", timeout=10).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    form = {"csrf_token": token.group(1), "email": "nobody@example.com", "password": "wrong-password"}
    codes = [http.post(f"{dashboard.url}/login", data=form, timeout=10).status_code for _ in range(6)]
    assert codes[:5] == [400] * 5
    assert codes[5] == 429
    blocked = http.post(f"{dashboard.url}/login", data=form, timeout=10)
    assert "Quá nhiều lần đăng nhập sai" in blocked.text


def test_a_copied_session_cookie_stops_working_after_logout(dashboard: Dashboard) -> None:
    http = requests.Session()
    page = http.get(f"{dashboard.url}/login", timeout=10).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    form = {
        "csrf_token": token.group(1),
        "email": dashboard.demo.login_email,
        "password": dashboard.demo.login_password,
    }
    assert (
        http.post(f"{dashboard.url}/login", data=form, allow_redirects=False, timeout=10).status_code == 303
    )
    copied = http.cookies.get("aicall_session")
    campaigns = http.get(f"{dashboard.url}/campaigns", allow_redirects=False, timeout=10)
    assert campaigns.status_code == 200
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', campaigns.text)
    assert csrf is not None
    http.post(
        f"{dashboard.url}/logout", data={"csrf_token": csrf.group(1)}, allow_redirects=False, timeout=10
    )
    stolen = requests.get(
        f"{dashboard.url}/campaigns", cookies={"aicall_session": copied}, allow_redirects=False, timeout=10
    )
    assert stolen.status_code == 303
    assert stolen.headers["location"].startswith("/login")
