"""GET /campaigns/{id}/contacts/export: contacts and call results as CSV or XLSX, streamed."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import requests
from openpyxl import load_workbook

from aicall.campaigns import export
from aicall.campaigns import service as campaign_service
from tests.integration.spreadsheets.helpers import add_contacts, at, download, record_call
from tests.integration.support import make_tenant


def seed(live_server, tenant, db) -> dict[str, str]:
    """Three contacts, two of them called; returns contact ids by phone."""
    body = add_contacts(
        live_server,
        tenant,
        tenant.campaign_id,
        [
            {"phone_number": "0987654321", "ho_ten": "David Thiêm", "danh_xung": "Anh"},
            {"phone_number": "0987654322", "ho_ten": '=HYPERLINK("http://x")', "ghi_chu": "#N/A"},
            {"phone_number": "0987654323", "ho_ten": "Lan"},
        ],
    )
    ids = {c["so_dien_thoai"]: c["contact_id"] for c in body["result"]}
    first = ids["+84987654321"]
    record_call(db, tenant, first, number=1, outcome="busy", started_at=at(7, 0), cost=0, sip_code=486)
    record_call(
        db,
        tenant,
        first,
        number=2,
        outcome="answered",
        started_at=at(7, 30),
        duration=42.5,
        cost=1500,
        keys="1",
        end_reason="completed",
        sip_code=200,
    )
    record_call(db, tenant, ids["+84987654322"], number=1, outcome="no_answer", started_at=at(8), cost=0)
    return ids


def test_csv_export_has_a_bom_one_row_per_contact_and_the_call_results(live_server, tenant, db):
    ids = seed(live_server, tenant, db)
    response = download(live_server, tenant, tenant.campaign_id, "csv")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert (
        response.headers["content-disposition"] == f'attachment; filename="contacts-{tenant.campaign_id}.csv"'
    )
    assert response.content.startswith(b"\xef\xbb\xbf")  # so Excel reads Vietnamese right
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert list(rows[0]) == ["phone_number", "danh_xung", "ghi_chu", "ho_ten", *export.RESULT_COLUMNS]
    by_phone = {row["phone_number"]: row for row in rows}
    assert list(by_phone) == ["+84987654321", "+84987654322", "+84987654323"]
    answered = by_phone["+84987654321"]
    assert answered["ho_ten"] == "David Thiêm"
    assert answered["status"] == "done"
    assert answered["last_outcome"] == "answered"
    assert answered["attempts"] == "2"
    # The campaign's zone (Asia/Ho_Chi_Minh): 07:30 UTC is 14:30 there.
    assert answered["last_call_at"] == "2026-11-30T14:30:00+07:00"
    assert answered["duration"] == "42.5"
    assert answered["cost"] == "1500"  # both calls: the busy one cost nothing
    assert (answered["keys_pressed"], answered["end_reason"], answered["sip_code"]) == (
        "1",
        "completed",
        "200",
    )
    assert answered["contact_id"] == ids["+84987654321"]
    # Values from API callers that a spreadsheet would run as formulas are defused.
    assert by_phone["+84987654322"]["ho_ten"] == '\'=HYPERLINK("http://x")'
    never_called = by_phone["+84987654323"]
    assert (never_called["status"], never_called["attempts"], never_called["last_call_at"]) == (
        "pending",
        "0",
        "",
    )


def test_csv_export_matches_what_the_api_shows_for_each_contact(live_server, tenant, db):
    ids = seed(live_server, tenant, db)
    rows = list(
        csv.DictReader(
            io.StringIO(download(live_server, tenant, tenant.campaign_id, "csv").content.decode("utf-8-sig"))
        )
    )
    for row in rows:
        shown = requests.get(
            f"{live_server.url}/api/v1/public-api/contacts/{ids[row['phone_number']]}",
            headers=tenant.headers(),
            timeout=30,
        ).json()["result"]
        assert row["status"] == shown["status"]
        assert row["attempts"] == str(shown["attempts"])
        assert row["last_outcome"] == (shown["last_outcome"] or "")
        assert row["cost"] == str(sum(a["cost"] for a in shown["call_attempts"]))


def test_xlsx_export_reads_back_with_openpyxl_with_real_dates_and_numbers(live_server, tenant, db):
    seed(live_server, tenant, db)
    response = download(live_server, tenant, tenant.campaign_id, "xlsx")
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"].endswith('.xlsx"')
    workbook = load_workbook(io.BytesIO(response.content), read_only=True)
    sheet = workbook.worksheets[0]
    header, *rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    workbook.close()
    assert header[:4] == ["phone_number", "danh_xung", "ghi_chu", "ho_ten"]
    record = dict(zip(header, rows[0], strict=True))
    assert record["phone_number"] == "+84987654321"
    assert record["ho_ten"] == "David Thiêm"
    assert record["last_call_at"] == datetime(2026, 11, 30, 14, 30)  # local time, a date cell
    assert record["duration"] == 42.5
    assert record["cost"] == 1500
    assert record["attempts"] == 2
    second = dict(zip(header, rows[1], strict=True))
    # Text stays text: neither a formula nor an error cell.
    assert second["ho_ten"] == '=HYPERLINK("http://x")'
    assert second["ghi_chu"] == "#N/A"


def test_export_pages_through_every_contact_once_even_with_repeated_numbers(live_server, tenant, db):
    with db.transaction() as session:
        campaign_id = campaign_service.create_campaign(
            session=session,
            application_id=tenant.application_id,
            name="dups",
            settings={"allow_duplicate_phone": True},
        ).id
    contacts = [{"phone_number": f"098765432{n % 4}", "stt": str(n)} for n in range(11)]
    assert len(add_contacts(live_server, tenant, campaign_id, contacts)["result"]) == 11
    download_ = export.open_export(
        db=db, application_id=tenant.application_id, campaign_id=campaign_id, format="csv", page_size=3
    )
    rows = list(csv.DictReader(io.StringIO(b"".join(download_.chunks).decode("utf-8-sig"))))
    assert sorted(int(r["stt"]) for r in rows) == list(range(11))
    assert len({r["contact_id"] for r in rows}) == 11


def test_another_accounts_campaign_answers_like_a_missing_one(live_server, tenant, db):
    other = make_tenant(db, "Other")
    foreign = download(live_server, tenant, other.campaign_id, "csv")
    missing = download(live_server, tenant, "0" * 24, "csv")
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json() == {"status": 0, "code": 1401, "message": "Campaign is not found"}


def test_an_unknown_format_is_a_validation_error(live_server, tenant):
    response = download(live_server, tenant, tenant.campaign_id, "pdf")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == 400
    assert body["message"].startswith("Validation Failed: format: ")
    assert "csv" in body["message"] and "xlsx" in body["message"]
