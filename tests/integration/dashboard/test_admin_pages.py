"""Applications, balance and telephony pages over real HTTP, signed in as people of an account,
on SQLite and PostgreSQL: the forms reach the services the CLI and the API use, errors land next
to their fields, secrets and passwords are never shown back, and another account's ids are 404."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from datetime import timedelta
from html import unescape

import jwt
import pytest
import requests
from sqlalchemy import select

from aicall.accounts import ledger
from aicall.accounts import service as account_service
from aicall.accounts import users as user_service
from aicall.accounts.models import Account, Application, LedgerEntry
from aicall.accounts.secrets_box import SecretBox
from aicall.campaigns.models import Campaign
from aicall.clock import utc_now
from aicall.db.engine import Database
from aicall.demo import ensure_demo
from aicall.hotlines import service as hotline_service
from aicall.hotlines.models import HotlinePool, SipTrunk
from aicall.webhooks import outbox
from aicall.webhooks import service as webhook_service
from aicall.webhooks.models import WebhookEvent
from tests.integration.support import SECRET_KEY, LiveServer, Tenant, make_tenant

PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PUBLIC_URL = "https://93.184.216.34/aicall/events"  # a public address: no DNS, accepted by the guard
API = "/api/v1/public-api"


class Person:
    """A signed-in person: a cookie jar, and the session's CSRF token put into every form."""

    def __init__(self, server: LiveServer, email: str) -> None:
        self.url = server.url
        self.http = requests.Session()
        self.token = self._token("/login")
        answer = self.post("/login", {"email": email, "password": PASSWORD})
        assert answer.status_code == 303, answer.text
        self.token = self._token("/apps")

    def _token(self, path: str) -> str:
        found = CSRF.search(self.get(path).text)
        assert found is not None
        return found.group(1)

    def get(self, path: str) -> requests.Response:
        return self.http.get(self.url + path, allow_redirects=False, timeout=60)

    def post(self, path: str, form: dict[str, str | list[str]] | None = None) -> requests.Response:
        data = {"csrf_token": self.token, **(form or {})}
        return self.http.post(self.url + path, data=data, allow_redirects=False, timeout=60)


@dataclass
class People:
    tenant: Tenant
    other: Tenant
    admin: Person
    member: Person
    stranger: Person
    db: Database


def _user(db: Database, account_id: str, email: str, *, admin: bool) -> None:
    with db.transaction() as session:
        user_service.create_user(
            session=session, account_id=account_id, email=email, password=PASSWORD, is_admin=admin
        )


@pytest.fixture
def people(db: Database, live_server: LiveServer) -> People:
    tenant = make_tenant(db, "Công ty A")
    other = make_tenant(db, "Công ty B")
    _user(db, tenant.account_id, "admin@a.vn", admin=True)
    _user(db, tenant.account_id, "member@a.vn", admin=False)
    _user(db, other.account_id, "someone@b.vn", admin=True)
    return People(
        tenant=tenant,
        other=other,
        admin=Person(live_server, "admin@a.vn"),
        member=Person(live_server, "member@a.vn"),
        stranger=Person(live_server, "someone@b.vn"),
        db=db,
    )


def field_error(html: str, name: str) -> str:
    found = re.search(rf'<small id="e-{name}" class="field-error">(.*?)</small>', html, re.S)
    assert found is not None, f"no error next to {name}"
    return unescape(found.group(1))


def input_value(html: str, name: str) -> str:
    found = re.search(rf'<input[^>]*\bname="{name}"[^>]*\bvalue="([^"]*)"', html)
    assert found is not None, f"no input {name}"
    return unescape(found.group(1))


def location(response: requests.Response) -> str:
    assert response.status_code == 303, (response.status_code, response.text[:500])
    return response.headers["location"]


def bearer(api_key: str, api_secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {jwt.encode({'apiKey': api_key}, api_secret, algorithm='HS256')}"}


# -- applications ---------------------------------------------------------------------------------


def test_a_new_applications_secret_is_shown_once_and_works_with_the_api(
    people: People, live_server: LiveServer
) -> None:
    target = location(people.admin.post("/apps", {"name": "Cửa hàng", "webhook_url": ""}))
    page = people.admin.get(target)
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    secret = unescape(re.search(r'id="api-secret">([^<]+)<', page.text).group(1))  # type: ignore[union-attr]
    api_key = unescape(re.search(r'id="api-key">([^<]+)<', page.text).group(1))  # type: ignore[union-attr]
    # The secret travelled in the session cookie sealed, never readable there.
    cookie = people.admin.http.cookies.get("aicall_session") or ""
    assert secret not in base64.b64decode(cookie.split(".")[0] + "==").decode("utf-8", "replace")

    again = people.admin.get(target)
    assert secret not in again.text
    assert api_key in again.text
    balance = requests.get(live_server.url + API + "/balance", headers=bearer(api_key, secret), timeout=30)
    assert balance.status_code == 200, balance.text
    with people.db.reading() as session:
        app = session.scalars(select(Application).where(Application.api_key == api_key)).one()
        assert app.account_id == people.tenant.account_id
        assert app.name == "Cửa hàng"


def test_an_empty_name_or_a_bad_webhook_url_is_refused_next_to_the_field_and_kept(people: People) -> None:
    empty = people.admin.post("/apps", {"name": "  ", "webhook_url": ""})
    assert empty.status_code == 400
    assert field_error(empty.text, "name") == "Hãy nhập tên ứng dụng."

    # The API server refuses private addresses (AICALL_WEBHOOK_ALLOW_PRIVATE is off).
    private = people.admin.post("/apps", {"name": "Shop", "webhook_url": "http://127.0.0.1:8080/hook"})
    assert private.status_code == 400
    assert "127.0.0.1 cho URL webhook: đây là địa chỉ loopback" in field_error(private.text, "webhook_url")
    assert input_value(private.text, "webhook_url") == "http://127.0.0.1:8080/hook"
    assert input_value(private.text, "name") == "Shop"
    with people.db.reading() as session:
        names = session.scalars(select(Application.name)).all()
    assert sorted(names) == ["Công ty A", "Công ty B"]


def test_rotating_the_api_secret_shows_the_new_one_once_and_the_old_one_stops_working(
    people: People, live_server: LiveServer
) -> None:
    old = bearer(people.tenant.api_key, people.tenant.api_secret)
    assert requests.get(live_server.url + API + "/balance", headers=old, timeout=30).status_code == 200
    app_page = f"/apps/{people.tenant.application_id}"
    assert location(people.admin.post(app_page + "/rotate-secret")) == app_page
    page = people.admin.get(app_page).text
    new_secret = unescape(re.search(r'id="api-secret">([^<]+)<', page).group(1))  # type: ignore[union-attr]
    assert new_secret != people.tenant.api_secret
    assert "Khóa bí mật API mới" in page
    assert requests.get(live_server.url + API + "/balance", headers=old, timeout=30).status_code == 401
    new = bearer(people.tenant.api_key, new_secret)
    assert requests.get(live_server.url + API + "/balance", headers=new, timeout=30).status_code == 200
    assert new_secret not in people.admin.get(app_page).text


def test_webhook_settings_are_saved_through_the_api_rules_and_read_back_by_the_api(
    people: People, live_server: LiveServer
) -> None:
    app_page = f"/apps/{people.tenant.application_id}"
    form = {
        "webhook_url": PUBLIC_URL,
        "events_mode": "some",
        "events": ["contact.finished", "campaign.paused"],
    }
    assert location(people.admin.post(app_page + "/webhook", form)) == app_page + "#webhook"
    settings = requests.get(
        live_server.url + API + "/webhooks",
        headers=bearer(people.tenant.api_key, people.tenant.api_secret),
        timeout=30,
    ).json()["result"]
    assert settings["webhook_url"] == PUBLIC_URL
    assert settings["webhook_events"] == ["contact.finished", "campaign.paused"]  # documented order
    page = people.admin.get(app_page).text
    assert "Đã lưu cài đặt webhook." in page
    assert input_value(page, "webhook_url") == PUBLIC_URL

    refused = people.admin.post(
        app_page + "/webhook", {"webhook_url": "ftp://example.com/x", "events_mode": "all"}
    )
    assert refused.status_code == 400
    assert (
        field_error(refused.text, "webhook_url") == "URL webhook phải dùng http hoặc https (đang là 'ftp')."
    )
    assert input_value(refused.text, "webhook_url") == "ftp://example.com/x"

    assert location(people.admin.post(app_page + "/webhook", {"webhook_url": "", "events_mode": "all"}))
    with people.db.reading() as session:
        app = session.get(Application, people.tenant.application_id)
        assert app is not None and app.webhook_url is None and app.webhook_events is None


def _failed_event(people: People) -> str:
    """A `campaign.paused` event of the tenant whose retries ran out."""
    webhook_service.update_settings(
        db=people.db,
        box=SecretBox(SECRET_KEY),
        application_id=people.tenant.application_id,
        allow_private=False,
        webhook_url=PUBLIC_URL,
    )
    with people.db.transaction() as session:
        event_id = outbox.emit(
            session,
            application_id=people.tenant.application_id,
            event_type="campaign.paused",
            payload={
                "campaign_id": people.tenant.campaign_id,
                "name": "Công ty A campaign",
                "status": "paused",
                "reason": "manual",
                "at": utc_now(),
            },
        )
        assert event_id is not None
        event = session.get(WebhookEvent, event_id)
        assert event is not None
        event.status, event.attempts, event.last_status_code = "failed", 11, 503
        event.last_error = "HTTP 503"
    return event_id


def test_the_delivery_log_shows_an_event_and_replay_queues_it_again(people: People) -> None:
    event_id = _failed_event(people)
    app_page = f"/apps/{people.tenant.application_id}"
    log = people.member.get(app_page + "/deliveries").text
    row = re.search(rf'<tr data-event-id="{event_id}" data-status="failed">(.*?)</tr>', log, re.S)
    assert row is not None
    assert "campaign.paused" in row.group(1) and "503" in row.group(1) and "HTTP 503" in row.group(1)

    # Replaying is not an admin action: anyone of the account may ask for a resend.
    replayed = people.member.post(f"{app_page}/events/{event_id}/replay")
    assert location(replayed) == app_page + "#log"
    with people.db.reading() as session:
        event = session.get(WebhookEvent, event_id)
        assert event is not None
        assert (event.status, event.attempts) == ("pending", 0)
    assert "Đã xếp sự kiện vào hàng để gửi lại." in people.member.get(app_page).text
    detail = people.member.get(f"{app_page}/events/{event_id}")
    assert detail.status_code == 200 and "Công ty A campaign" in detail.text


def test_another_accounts_application_and_events_are_missing_pages(people: People) -> None:
    event_id = _failed_event(people)
    app_page = f"/apps/{people.tenant.application_id}"
    for path in (
        app_page,
        app_page + "/deliveries",
        f"{app_page}/events/{event_id}",
        "/apps/ffffffffffffffffffffffff",
    ):
        assert people.stranger.get(path).status_code == 404, path
    for path, form in (
        (app_page + "/rotate-secret", {}),
        (app_page + "/webhook", {"webhook_url": "https://93.184.216.35/", "events_mode": "all"}),
        (app_page + "/webhook/rotate-secret", {}),
        (f"{app_page}/events/{event_id}/replay", {}),
    ):
        assert people.stranger.post(path, form).status_code == 404, path
    assert people.stranger.get(f"/apps/{people.other.application_id}/events/{event_id}").status_code == 404
    listing = people.stranger.get("/apps").text
    assert people.tenant.api_key not in listing and "Công ty A" not in listing
    with people.db.reading() as session:
        event = session.get(WebhookEvent, event_id)
        app = session.get(Application, people.tenant.application_id)
        assert event is not None and event.status == "failed"
        assert app is not None and app.webhook_url == PUBLIC_URL


def test_members_see_the_pages_but_only_admins_change_keys_money_and_trunks(people: People) -> None:
    app_page = f"/apps/{people.tenant.application_id}"
    page = people.member.get(app_page).text
    assert 'id="rotate-secret"' not in page and 'id="webhook-form"' not in page
    assert "whsec_" not in page  # the signing secret is for admins
    for path, form in (
        ("/apps", {"name": "X"}),
        (app_page + "/rotate-secret", {}),
        (app_page + "/webhook", {"webhook_url": "", "events_mode": "all"}),
        (app_page + "/webhook/rotate-secret", {}),
        ("/balance/topup", {"amount": "1000"}),
        ("/telephony/trunks", {"host": "sip.example.vn"}),
        ("/telephony/pools", {"key": "K", "numbers": "+842873001234"}),
    ):
        assert people.member.post(path, form).status_code == 403, path
    for path in ("/apps", "/balance", "/telephony"):
        assert people.member.get(path).status_code == 200


# -- balance -------------------------------------------------------------------------------------


def test_a_top_up_credits_the_account_resumes_campaigns_paused_for_balance_and_names_who(
    people: People,
) -> None:
    with people.db.transaction() as session:
        campaign = session.get(Campaign, people.tenant.campaign_id)
        assert campaign is not None
        campaign.status, campaign.pause_reason = "paused", "insufficient_balance"
    assert (
        location(people.admin.post("/balance/topup", {"amount": "1.500.000", "note": "chuyển khoản"}))
        == "/balance"
    )
    page = people.admin.get("/balance").text
    assert "Đã nạp 1.500.000 đ. Số dư mới: 1.500.000 đ." in page
    assert re.search(r'id="balance-value">1\.500\.000 đ<', page)
    assert "+1.500.000 đ" in page and "chuyển khoản (admin@a.vn)" in page
    with people.db.reading() as session:
        campaign = session.get(Campaign, people.tenant.campaign_id)
        assert campaign is not None and (campaign.status, campaign.pause_reason) == ("running", None)
        other = session.get(Account, people.other.account_id)
        assert other is not None and other.balance == 0


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("", "Hãy nhập số tiền là số nguyên đồng, ví dụ 500.000."),
        ("1,5 triệu", "Hãy nhập số tiền là số nguyên đồng, ví dụ 500.000."),
        ("-500", "Hãy nhập số tiền là số nguyên đồng, ví dụ 500.000."),
        ("0", "Số tiền nạp phải lớn hơn 0."),
        ("10000000000000", "Mỗi lần nạp tối đa 1.000.000.000.000 đ."),
    ],
)
def test_a_bad_top_up_amount_is_refused_next_to_the_field_and_kept(
    people: People, typed: str, error: str
) -> None:
    answer = people.admin.post("/balance/topup", {"amount": typed, "note": "ghi chú"})
    assert answer.status_code == 400
    assert field_error(answer.text, "amount") == error
    assert input_value(answer.text, "amount") == typed
    assert input_value(answer.text, "note") == "ghi chú"
    with people.db.reading() as session:
        assert session.scalars(select(LedgerEntry)).all() == []


def test_the_ledger_pages_newest_first_by_keyset_without_gaps_or_repeats(people: People) -> None:
    with people.db.transaction() as session:
        for amount in range(1, 121):
            ledger.topup(session=session, account_id=people.tenant.account_id, amount=amount * 1000)
    seen: list[str] = []
    path = "/balance"
    while path:
        page = people.member.get(path).text
        seen += re.findall(r'<td class="num amount credit">\+([\d.]+) đ</td>', page)
        more = re.search(r'href="(/balance\?before=[^"#]+)#ledger"', page)
        path = unescape(more.group(1)) if more else ""
    assert seen == [f"{n * 1000:,}".replace(",", ".") for n in range(120, 0, -1)]
    assert people.stranger.get("/balance").text.count('class="num amount') == 0


# -- telephony ------------------------------------------------------------------------------------


def _trunk(people: People, **form: str) -> requests.Response:
    base = {"name": "Viettel", "host": "sip.example.vn", "port": "5060", "transport": "udp"}
    base.update({"username": "acc1", "password": "s3cret-Trunk-pw", "max_concurrent": "30", **form})
    return people.admin.post("/telephony/trunks", base)


def test_a_trunk_password_is_stored_sealed_and_never_shown_back(people: People) -> None:
    assert location(_trunk(people, register="true")) == "/telephony#trunks"
    with people.db.reading() as session:
        trunk = session.scalars(select(SipTrunk)).one()
        sealed = trunk.password_encrypted
        assert trunk.account_id == people.tenant.account_id and trunk.register
    assert sealed is not None and SecretBox(SECRET_KEY).open(sealed) == "s3cret-Trunk-pw"
    listing = people.admin.get("/telephony").text
    edit = people.admin.get(f"/telephony/trunks/{trunk.id}").text
    refused = _trunk(people, port="99999", password="another-Pw-9")
    assert refused.status_code == 400
    assert field_error(refused.text, "port") == "Cổng 99999 nằm ngoài khoảng 1-65535."
    assert input_value(refused.text, "host") == "sip.example.vn"
    for html in (listing, edit, refused.text):
        assert "s3cret-Trunk-pw" not in html and "another-Pw-9" not in html and sealed not in html
    assert input_value(edit, "password") == ""
    assert "Để trống để giữ mật khẩu hiện tại." in edit


def test_editing_a_trunk_keeps_its_password_unless_a_new_one_is_given_or_it_is_removed(
    people: People,
) -> None:
    location(_trunk(people))
    with people.db.reading() as session:
        trunk_id = session.scalars(select(SipTrunk.id)).one()
    form = {
        "name": "Viettel 2",
        "host": "sip2.example.vn",
        "port": "5080",
        "transport": "udp",
        "username": "acc1",
    }
    form["max_concurrent"] = "40"
    edit = f"/telephony/trunks/{trunk_id}"

    def password() -> str | None:
        with people.db.reading() as session:
            trunk = session.get(SipTrunk, trunk_id)
            assert trunk is not None
            return SecretBox(SECRET_KEY).open(trunk.password_encrypted) if trunk.password_encrypted else None

    assert location(people.admin.post(edit, {**form, "password": ""})) == "/telephony#trunks"
    assert password() == "s3cret-Trunk-pw"
    location(people.admin.post(edit, {**form, "password": "new-Pw-2"}))
    assert password() == "new-Pw-2"
    location(people.admin.post(edit, {**form, "clear_password": "true"}))
    assert password() is None
    bad = people.admin.post(edit, {**form, "register": "true", "username": ""})
    assert bad.status_code == 400 and "cần tên đăng nhập SIP" in field_error(bad.text, "username")
    with people.db.reading() as session:
        trunk = session.get(SipTrunk, trunk_id)
        assert trunk is not None and (trunk.host, trunk.port, trunk.max_concurrent) == (
            "sip2.example.vn",
            5080,
            40,
        )


def test_a_pool_is_created_with_normalised_numbers_and_bad_ones_are_refused_next_to_the_field(
    people: People,
) -> None:
    location(_trunk(people))
    with people.db.reading() as session:
        trunk_id = session.scalars(select(SipTrunk.id)).one()
    form = {"key": "CSKH", "numbers": "028 7300 1234\n+842873001235", "trunk_id": trunk_id}
    assert (
        location(people.admin.post("/telephony/pools", {**form, "per_number_concurrency": "4"}))
        == "/telephony#pools"
    )
    page = people.admin.get("/telephony").text
    assert "+842873001234" in page and "+842873001235" in page and "Đã thêm nhóm số CSKH." in page

    bad = people.admin.post(
        "/telephony/pools", {"key": "B", "numbers": "12ab", "per_number_concurrency": "4"}
    )
    assert bad.status_code == 400
    assert "'12ab'" in field_error(bad.text, "numbers")
    assert "12ab" in bad.text and input_value(bad.text, "key") == "B"
    taken = people.admin.post("/telephony/pools", {**form, "per_number_concurrency": "4"})
    assert field_error(taken.text, "key") == "Đã có nhóm số với khóa 'CSKH'."


def test_another_accounts_trunks_and_pools_are_invisible_and_unusable(people: People) -> None:
    box = SecretBox(SECRET_KEY)
    with people.db.transaction() as session:
        theirs = hotline_service.create_trunk(
            session=session, box=box, host="sip.b.vn", account_id=people.other.account_id, password="b-pw-123"
        )
        hotline_service.create_pool(
            session=session, key="B_POOL", numbers=["+842873009999"], account_id=people.other.account_id
        )
        hotline_service.ensure_system_pool(session=session)
        theirs_id = theirs.id
    page = people.admin.get("/telephony").text
    assert "sip.b.vn" not in page and "B_POOL" not in page
    assert "POOL_SYSTEM" in page  # the shared pool is everyone's
    assert people.admin.get(f"/telephony/trunks/{theirs_id}").status_code == 404
    assert people.admin.post(f"/telephony/trunks/{theirs_id}", {"host": "x", "port": "1"}).status_code == 404
    refused = people.admin.post(
        "/telephony/pools",
        {"key": "MINE", "numbers": "+842873001111", "trunk_id": theirs_id, "per_number_concurrency": "1"},
    )
    assert refused.status_code == 400 and "Không có trunk SIP nào" in field_error(refused.text, "trunk_id")
    with people.db.reading() as session:
        assert session.scalars(select(HotlinePool).where(HotlinePool.key == "MINE")).first() is None


def test_a_page_token_from_an_old_or_forged_link_falls_back_to_the_first_page(people: People) -> None:
    with people.db.transaction() as session:
        ledger.topup(session=session, account_id=people.tenant.account_id, amount=5000)
    for token in (
        "garbage",
        "20260101000000000000.' OR 1=1 --",
        (utc_now() + timedelta(days=1)).strftime("%Y"),
    ):
        page = people.member.get(f"/balance?before={token}")
        assert page.status_code == 200 and "+5.000 đ" in page.text


def test_the_demo_login_still_signs_in_after_the_demo_applications_secret_is_rotated(
    db: Database, live_server: LiveServer
) -> None:
    box = SecretBox(SECRET_KEY)
    with db.transaction() as session:
        demo = ensure_demo(session=session, box=box)
    with db.transaction() as session:
        account_service.rotate_api_secret(session=session, box=box, application_id=demo.application_id)
    with db.transaction() as session:
        again = ensure_demo(session=session, box=box)
    assert again.login_password != demo.login_password  # it follows the secret, as `init --demo` prints it
    http = requests.Session()
    token = CSRF.search(http.get(live_server.url + "/login", timeout=30).text)
    assert token is not None
    form = {"csrf_token": token.group(1), "email": again.login_email, "password": again.login_password}
    signed_in = http.post(live_server.url + "/login", data=form, allow_redirects=False, timeout=30)
    assert signed_in.status_code == 303
