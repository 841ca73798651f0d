"""POST /campaigns/{id}/contacts/import: a CSV or XLSX list through the add-contacts rules,
over real HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from aicall.campaigns import service as campaign_service
from aicall.campaigns.models import Contact
from aicall.db.engine import Database
from tests.integration.scenarios.helpers import Api
from tests.integration.spreadsheets.helpers import add_contacts, csv_bytes, upload, xlsx_bytes
from tests.integration.support import LiveServer, Tenant, make_tenant


def stored(db: Database, campaign_id: str) -> list[tuple[str, dict[str, Any]]]:
    with db.reading() as session:
        rows = session.execute(
            select(Contact.phone, Contact.tags)
            .where(Contact.campaign_id == campaign_id)
            .order_by(Contact.phone)
        ).all()
        return [(phone, tags) for phone, tags in rows]


def new_campaign(db: Database, tenant: Tenant, scenario_id: str | None = None) -> str:
    with db.transaction() as session:
        return campaign_service.create_campaign(
            session=session, application_id=tenant.application_id, name="other", scenario_id=scenario_id
        ).id


def test_csv_from_excel_imports_and_answers_like_add_contacts_with_rows(live_server, tenant, db):
    data = csv_bytes(
        [
            ["Số điện thoại", "Họ tên", "Danh xưng"],
            ["0987654321", "David Thiêm", "Anh"],
            ["098.765.4322", "Lan", "Chị"],
            ["12ab", "Sai số", "Anh"],
            ["0987654321", "Trùng", "Anh"],
        ],
        delimiter=";",
    )
    response = upload(live_server, tenant, tenant.campaign_id, data)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == 1
    assert [c["so_dien_thoai"] for c in body["result"]] == ["+84987654321", "+84987654322"]
    first = body["result"][0]
    assert set(first) == {"contact_id", "ho_ten", "danh_xung", "so_dien_thoai"}
    assert first["ho_ten"] == "David Thiêm"
    # The same bad value through the JSON API gets the same reason, word for word.
    api = add_contacts(live_server, tenant, new_campaign(db, tenant), [{"phone_number": "12ab"}])
    api_reason = api["details"][0]["reason"]
    assert body["rejected"] == [
        {"row": 4, "phone_number": "12ab", "reason": api_reason},
        {"row": 5, "phone_number": "+84987654321", "reason": "duplicate: same number as row 2 in this file"},
    ]
    assert body["summary"]["rows"] == 4
    assert body["summary"]["imported"] == 2
    assert body["summary"]["mapping"] == {
        "Số điện thoại": "phone_number",
        "Họ tên": "ho_ten",
        "Danh xưng": "danh_xung",
    }
    assert stored(db, tenant.campaign_id) == [
        ("+84987654321", {"ho_ten": "David Thiêm", "danh_xung": "Anh"}),
        ("+84987654322", {"ho_ten": "Lan", "danh_xung": "Chị"}),
    ]


def test_xlsx_with_numbers_and_an_explicit_mapping(live_server, tenant, db):
    data = xlsx_bytes(
        [
            ["Di động", "Tên khách", "Mã KH"],
            [987654321, "Lan", 1001],
            [84987654322, "Minh", 1002],
        ]
    )
    response = upload(
        live_server,
        tenant,
        tenant.campaign_id,
        data,
        filename="khach.xlsx",
        mapping='{"Di động": "phone_number", "Tên khách": "ho_ten", "Mã KH": ""}',
    )
    assert response.status_code == 200, response.text
    assert "rejected" not in response.json()
    assert stored(db, tenant.campaign_id) == [
        ("+84987654321", {"ho_ten": "Lan"}),
        ("+84987654322", {"ho_ten": "Minh"}),
    ]


def test_a_tag_the_scenario_cannot_read_is_rejected_with_the_apis_reason(live_server, tenant, db):
    scenario = Api(live_server, tenant, db).create_scenario()
    campaign_id = new_campaign(db, tenant, scenario["id"])
    data = xlsx_bytes(
        [["SĐT", "Họ tên", "Số tiền"], ["0987654321", "Lan", 150000], ["0987654322", "Minh", "12a"]]
    )
    body = upload(live_server, tenant, campaign_id, data, filename="a.xlsx").json()
    api = add_contacts(
        live_server,
        tenant,
        new_campaign(db, tenant, scenario["id"]),
        [{"phone_number": "0987654399", "so_tien": "12a"}],
    )
    assert body["rejected"] == [
        {"row": 3, "phone_number": "+84987654322", "reason": api["details"][0]["reason"]}
    ]
    assert "so_tien" in body["rejected"][0]["reason"]


def test_dry_run_reports_every_bad_row_and_stores_nothing(live_server, tenant, db):
    data = csv_bytes([["phone"], ["0987654321"], ["abc"], [""], ["0987654322"]], bom=False)
    response = upload(live_server, tenant, tenant.campaign_id, data, dry_run=True)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["result"]["dry_run"] is True
    assert body["result"]["rows"] == 3
    assert body["result"]["valid"] == 2
    assert body["result"]["imported"] == 0
    assert [r["row"] for r in body["rejected"]] == [3]
    assert stored(db, tenant.campaign_id) == []


def test_a_file_with_no_valid_row_stores_nothing_and_lists_the_rows(live_server, tenant, db):
    response = upload(live_server, tenant, tenant.campaign_id, csv_bytes([["SĐT"], ["abc"], ["1"]]))
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == 1403
    assert body["message"] == "All contacts is invalid"
    assert [r["row"] for r in body["details"]] == [2, 3]
    assert stored(db, tenant.campaign_id) == []


def test_another_accounts_campaign_answers_exactly_like_a_missing_one(live_server, tenant, db):
    other = make_tenant(db, "Other")
    data = csv_bytes([["phone"], ["0987654321"]])
    foreign = upload(live_server, tenant, other.campaign_id, data)
    missing = upload(live_server, tenant, "0" * 24, data)
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json() == {"status": 0, "code": 1401, "message": "Campaign is not found"}
    assert stored(db, other.campaign_id) == []


def test_files_that_are_not_contact_lists_get_a_clear_400(live_server, tenant):
    cases = {
        b"%PDF-1.7\n\x00\x01": "not a CSV or XLSX file",
        b"": "the file is empty",
        csv_bytes([["Họ tên"], ["Lan"]]): "no phone number column",
        csv_bytes([["SĐT"]]): "no data rows",
    }
    for data, expected in cases.items():
        response = upload(live_server, tenant, tenant.campaign_id, data)
        assert response.status_code == 400, response.text
        assert response.json()["code"] == 400
        assert expected in response.json()["message"]


def test_a_request_without_the_file_field_says_how_to_send_it(live_server, tenant):
    import requests

    response = requests.post(
        f"{live_server.url}/api/v1/public-api/campaigns/{tenant.campaign_id}/contacts/import",
        json={"phone_number": "0987654321"},
        headers=tenant.headers(),
        timeout=30,
    )
    assert response.status_code == 400
    assert "multipart/form-data in a field named 'file'" in response.json()["message"]


def test_a_file_over_the_upload_limit_is_refused_with_413(live_server: LiveServer, tenant, db):
    settings = live_server.state.settings
    before = settings.max_upload_bytes
    settings.max_upload_bytes = 2048
    try:
        small_but_over = csv_bytes([["phone"], *[[f"09876{n:05d}"] for n in range(300)]])
        response = upload(live_server, tenant, tenant.campaign_id, small_but_over)
        huge = upload(live_server, tenant, tenant.campaign_id, b"phone\n" + b"0987654321\n" * 20_000)
    finally:
        settings.max_upload_bytes = before
    assert response.status_code == 413, response.text
    assert "larger than the limit of 2,048 bytes" in response.json()["message"]
    assert huge.status_code == 413  # refused by its Content-Length, before it is read
    with db.reading() as session:
        assert session.scalar(select(func.count()).select_from(Contact)) == 0
