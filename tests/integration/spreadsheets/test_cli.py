"""`aicall contacts import|export`, run as a subprocess against the test database, as an
operator runs them; the messages are the API's."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

from openpyxl import load_workbook

from aicall.db.engine import Database
from tests.integration.spreadsheets.helpers import add_contacts, at, record_call, xlsx_bytes
from tests.integration.support import SECRET_KEY, LiveServer, Tenant


def aicall(db: Database, workdir: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AICALL_")}
    env.update(AICALL_DATABASE_URL=db.url, AICALL_SECRET_KEY=SECRET_KEY, AICALL_DATA_DIR=str(workdir / "var"))
    return subprocess.run(
        [sys.executable, "-m", "aicall", *args], cwd=workdir, env=env, capture_output=True, timeout=180
    )


def test_import_of_an_xlsx_with_a_bad_row_writes_the_apis_reason_to_the_report(
    db: Database, tenant: Tenant, live_server: LiveServer, tmp_path: Path
):
    sheet = tmp_path / "khach hang.xlsx"
    sheet.write_bytes(
        xlsx_bytes(
            [
                ["Số điện thoại", "Họ tên", "Ghi chú"],
                [987654321, "David Thiêm", "VIP"],
                ["0987 654 abc", "Sai", None],
                ["0987654322", "Lan", None],
            ]
        )
    )
    report = tmp_path / "rejected.csv"
    done = aicall(
        db,
        tmp_path,
        "contacts",
        "import",
        str(sheet),
        "--campaign",
        tenant.campaign_id,
        "--map",
        "Ghi chú=",
        "--report",
        str(report),
    )
    assert done.returncode == 0, done.stderr.decode()
    out = done.stdout.decode()
    assert "rows: 3" in out
    assert "imported: 2" in out
    assert "rejected: 1" in out
    assert "Ghi chú -> (left out)" in out
    api = add_contacts(live_server, tenant, tenant.campaign_id, [{"phone_number": "0987 654 abc"}])
    reason = api["details"][0]["reason"]
    assert f"row 3: 0987 654 abc: {reason}" in done.stderr.decode()
    assert report.read_bytes().startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(report.read_text(encoding="utf-8-sig"))))
    assert rows == [["row", "phone_number", "reason"], ["3", "0987 654 abc", reason]]


def test_export_to_xlsx_reads_back_with_openpyxl(
    db: Database, tenant: Tenant, live_server: LiveServer, tmp_path: Path
):
    body = add_contacts(
        live_server,
        tenant,
        tenant.campaign_id,
        [{"phone_number": "0987654321", "ho_ten": "Lan"}, {"phone_number": "0987654322", "ho_ten": "Minh"}],
    )
    record_call(
        db, tenant, body["result"][0]["contact_id"], number=1, outcome="answered", started_at=at(2), cost=900
    )
    target = tmp_path / "out.xlsx"
    done = aicall(
        db,
        tmp_path,
        "contacts",
        "export",
        "--campaign",
        tenant.campaign_id,
        "--format",
        "xlsx",
        "-o",
        str(target),
    )
    assert done.returncode == 0, done.stderr.decode()
    assert f"wrote {target}" in done.stderr.decode()
    assert not (tmp_path / "out.xlsx.partial").exists()
    workbook = load_workbook(target, read_only=True)
    header, *rows = [list(r) for r in workbook.worksheets[0].iter_rows(values_only=True)]
    workbook.close()
    records = [dict(zip(header, row, strict=True)) for row in rows]
    assert [(r["phone_number"], r["ho_ten"], r["last_outcome"], r["cost"]) for r in records] == [
        ("+84987654321", "Lan", "answered", 900),
        ("+84987654322", "Minh", None, 0),
    ]


def test_export_csv_to_standard_output(db: Database, tenant: Tenant, live_server: LiveServer, tmp_path: Path):
    add_contacts(live_server, tenant, tenant.campaign_id, [{"phone_number": "0987654321", "ho_ten": "Lan"}])
    done = aicall(db, tmp_path, "contacts", "export", "--campaign", tenant.campaign_id)
    assert done.returncode == 0, done.stderr.decode()
    rows = list(csv.DictReader(io.StringIO(done.stdout.decode("utf-8-sig"))))
    assert [(r["phone_number"], r["ho_ten"], r["status"]) for r in rows] == [
        ("+84987654321", "Lan", "pending")
    ]


def test_an_unknown_campaign_or_a_bad_file_fails_with_one_line(db: Database, tenant: Tenant, tmp_path: Path):
    sheet = tmp_path / "list.csv"
    sheet.write_text("Họ tên\nLan\n", encoding="utf-8")
    unknown = aicall(db, tmp_path, "contacts", "import", str(sheet), "--campaign", "nope")
    assert unknown.returncode == 1
    assert unknown.stderr.decode().strip() == "error: Campaign is not found"
    no_phone = aicall(db, tmp_path, "contacts", "import", str(sheet), "--campaign", tenant.campaign_id)
    assert no_phone.returncode == 1
    assert "no phone number column" in no_phone.stderr.decode()
    all_bad = tmp_path / "bad.csv"
    all_bad.write_text("SĐT\nabc\n", encoding="utf-8")
    report = tmp_path / "r.csv"
    done = aicall(
        db,
        tmp_path,
        "contacts",
        "import",
        str(all_bad),
        "--campaign",
        tenant.campaign_id,
        "--report",
        str(report),
    )
    assert done.returncode == 1
    assert "error: All contacts is invalid" in done.stderr.decode()
    assert "abc" in report.read_text(encoding="utf-8-sig")
