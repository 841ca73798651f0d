"""The dashboard's contact upload over real HTTP, signed in: upload, mapping pre-filled, the
validation report with the API's reasons, the confirmed import with its progress, the report
of rejected rows, the export; another account sees none of it."""

from __future__ import annotations

import csv
import io
import re
import time
from html import unescape

import pytest
import requests
from openpyxl import load_workbook
from sqlalchemy import select

from aicall.accounts import users as user_service
from aicall.campaigns.models import Contact
from aicall.dashboard import reasons
from aicall.dashboard.i18n import Translator
from aicall.db.engine import Database
from tests.integration.spreadsheets.helpers import add_contacts, csv_bytes
from tests.integration.support import LiveServer, Tenant, make_tenant

PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Person:
    """A signed-in person: a cookie jar, and the session's CSRF token put into every form."""

    def __init__(self, server: LiveServer, db: Database, tenant: Tenant, email: str) -> None:
        with db.transaction() as session:
            user_service.create_user(
                session=session, account_id=tenant.account_id, email=email, password=PASSWORD, is_admin=False
            )
        self.url = server.url
        self.http = requests.Session()
        self.token = self._token("/login")
        answer = self.post("/login", {"email": email, "password": PASSWORD})
        assert answer.status_code == 303, answer.text
        self.token = self._token(f"/campaigns/{tenant.campaign_id}/import")

    def _token(self, path: str) -> str:
        found = CSRF.search(self.get(path).text)
        assert found is not None, path
        return found.group(1)

    def get(self, path: str) -> requests.Response:
        return self.http.get(self.url + path, allow_redirects=False, timeout=60)

    def post(self, path: str, form: dict[str, str] | None = None, **kwargs: object) -> requests.Response:
        data = {"csrf_token": self.token, **(form or {})}
        return self.http.post(self.url + path, data=data, allow_redirects=False, timeout=120, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def person(live_server: LiveServer, db: Database, tenant: Tenant) -> Person:
    return Person(live_server, db, tenant, "lan@example.com")


def selected(html: str, position: int) -> str:
    select_html = re.search(rf'<select id="col-{position}".*?</select>', html, re.S)
    assert select_html is not None
    chosen = re.search(r'<option value="([^"]*)" selected>', select_html.group(0))
    assert chosen is not None
    return chosen.group(1)


def stored(db: Database, campaign_id: str) -> list[str]:
    with db.reading() as session:
        return sorted(session.scalars(select(Contact.phone).where(Contact.campaign_id == campaign_id)))


def wait_for_import(person: Person, path: str) -> str:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        answer = person.get(path + "/progress")
        if answer.status_code == 286:  # htmx: stop polling, it is finished
            return answer.text
        assert answer.status_code == 200
        time.sleep(0.1)
    raise AssertionError("the import did not finish")


def test_upload_map_check_confirm_and_watch_the_import(person, live_server, tenant, db):
    campaign = tenant.campaign_id
    form = person.get(f"/campaigns/{campaign}/import").text
    assert form.count('type="file"') == 1
    data = csv_bytes(
        [
            ["SĐT", "Họ và tên", "Ghi chú"],
            ["0987654321", "Lan", "VIP"],
            ["12ab", "Sai", ""],
            ["0987654322", "Minh", ""],
        ],
        delimiter=";",
    )
    uploaded = person.post(f"/campaigns/{campaign}/import", files={"file": ("khach.csv", data)})
    assert uploaded.status_code == 303, uploaded.text
    page = uploaded.headers["location"]
    assert page.startswith(f"/campaigns/{campaign}/import/")

    mapping = person.get(page).text
    assert [selected(mapping, n) for n in range(3)] == ["phone_number", "ho_va_ten", "ghi_chu"]
    assert "0987654321 · 12ab · 0987654322" in unescape(mapping)

    report = person.post(
        page + "/check", {"columns": "3", "col-0": "phone_number", "col-1": "ho_ten", "col-2": ""}
    )
    assert report.status_code == 200, report.text
    reason = add_contacts(live_server, tenant, campaign, [{"phone_number": "12ab"}])["details"][0]["reason"]
    row = re.search(r'<tr><td class="num">(\d+)</td><td>([^<]*)</td><td>([^<]*)</td></tr>', report.text)
    assert row is not None
    # the page says the API's reason in its own language; the rejected rows' file keeps the API's
    said = reasons.explain(reason, Translator("vi"))
    assert said.startswith("Số điện thoại chỉ được có chữ số")
    assert (row.group(1), unescape(row.group(2)), unescape(row.group(3))) == ("3", "12ab", said)
    assert stored(db, campaign) == []  # the report stores nothing
    assert "Xác nhận nhập 2 liên hệ" in report.text

    started = person.post(
        page + "/start", {"columns": "3", "col-0": "phone_number", "col-1": "ho_ten", "col-2": ""}
    )
    assert started.status_code == 303
    assert 'hx-trigger="every 1s"' in person.get(page).text or "import-done" in person.get(page).text
    finished = wait_for_import(person, page)
    assert "Đã nhập 2 liên hệ; 1 dòng bị từ chối." in unescape(finished)
    assert stored(db, campaign) == ["+84987654321", "+84987654322"]
    with db.reading() as session:
        tags = session.scalars(select(Contact.tags).where(Contact.phone == "+84987654321")).one()
    assert tags == {"ho_ten": "Lan"}  # the note column was left out

    rejected = person.get(page + "/rejected.csv")
    assert rejected.status_code == 200
    assert list(csv.reader(io.StringIO(rejected.content.decode("utf-8-sig")))) == [
        ["row", "phone_number", "reason"],
        ["3", "12ab", reason],
    ]
    # Confirming twice (a reload, a double click) imports once.
    again = person.post(page + "/start", {"columns": "3", "col-0": "phone_number"})
    assert again.status_code == 303
    assert stored(db, campaign) == ["+84987654321", "+84987654322"]


def test_a_file_that_cannot_be_used_is_explained_next_to_the_file_field(person, tenant):
    answer = person.post(
        f"/campaigns/{tenant.campaign_id}/import", files={"file": ("x.csv", b"Ho ten\nLan\n")}
    )
    assert answer.status_code == 400
    assert 'id="e-file" class="field-error"' in answer.text
    assert "Không có cột số điện thoại" in unescape(answer.text)


def test_choosing_no_phone_column_returns_to_the_mapping_with_the_reason(person, tenant):
    uploaded = person.post(
        f"/campaigns/{tenant.campaign_id}/import", files={"file": ("x.csv", b"phone,name\n0987654321,Lan\n")}
    )
    page = uploaded.headers["location"]
    answer = person.post(page + "/check", {"columns": "2", "col-0": "", "col-1": "ho_ten"})
    assert answer.status_code == 400
    assert "Không có cột số điện thoại" in unescape(answer.text)
    assert selected(answer.text, 0) == ""  # what the user chose is kept


def test_another_account_sees_neither_the_campaign_nor_the_upload(person, live_server, tenant, db):
    uploaded = person.post(
        f"/campaigns/{tenant.campaign_id}/import", files={"file": ("x.csv", b"phone\n0987654321\n")}
    )
    page = uploaded.headers["location"]
    other = make_tenant(db, "Other")
    stranger = Person(live_server, db, other, "khac@example.com")
    assert stranger.get(f"/campaigns/{tenant.campaign_id}/import").status_code == 404
    assert stranger.get(page).status_code == 404
    assert stranger.get(page + "/progress").status_code == 404
    assert stranger.post(page + "/start", {"columns": "1", "col-0": "phone_number"}).status_code == 404
    assert stranger.get(f"/campaigns/{tenant.campaign_id}/export?format=csv").status_code == 404
    assert stored(db, tenant.campaign_id) == []


def test_export_buttons_download_xlsx_that_openpyxl_reads(person, live_server, tenant):
    add_contacts(live_server, tenant, tenant.campaign_id, [{"phone_number": "0987654321", "ho_ten": "Lan"}])
    assert (
        f'href="/campaigns/{tenant.campaign_id}/export?format=xlsx"'
        in person.get(f"/campaigns/{tenant.campaign_id}/import").text
    )
    answer = person.get(f"/campaigns/{tenant.campaign_id}/export?format=xlsx")
    assert answer.status_code == 200
    assert answer.headers["content-disposition"].startswith("attachment;")
    workbook = load_workbook(io.BytesIO(answer.content), read_only=True)
    header, first = list(workbook.worksheets[0].iter_rows(values_only=True))[:2]
    workbook.close()
    assert dict(zip(header, first, strict=True))["ho_ten"] == "Lan"
