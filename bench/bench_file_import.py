"""Contact files: a 50,000-row XLSX imported through the service and through the upload endpoint,
beside the same rows through `POST /api/v1/public-api/campaign`; a 100,000-contact campaign
exported to CSV and XLSX, beside the bare queries that read the same data.

Import, per run, each side into a fresh campaign with numbers nobody has imported (order rotates):

* read only: the XLSX parsed into contact rows (`spreadsheets.open_sheet`), nothing checked or stored;
* service: `file_import.import_file` on the XLSX in this process (what the CLI and the dashboard run);
* upload: the XLSX POSTed to `/campaigns/{id}/contacts/import` of a real `aicall serve`;
* add-contacts: the same contacts as JSON, 10,000 per request (the API's limit), to the same server.

Export: `export.open_export` consumed to the end (CSV, XLSX), beside one `SELECT` of the same
contact columns and one of their call attempts, fetched whole (what any export must read).

Peak memory (tracemalloc, in separate untimed runs) shows the import and export do not hold the
file or the campaign.

    .venv/bin/python bench/bench_file_import.py [--db sqlite|postgresql|both] [--quick] [--runs N]
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import sys
import time
import tracemalloc
import uuid
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import httpx
from openpyxl import Workbook
from sqlalchemy import insert, select

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    ADD_CONTACTS_PATH,
    BACKENDS,
    PhoneNumbers,
    Tenant,
    machine_note,
    median,
    new_campaign,
    new_tenant,
    print_table,
    running_server,
    temp_database,
)

from aicall.calls.models import AttemptStatus, CallAttempt
from aicall.campaigns import export, file_import, spreadsheets
from aicall.campaigns.models import Contact, ContactStatus
from aicall.clock import utc_now
from aicall.db.engine import Database

ROWS, QUICK_ROWS = 50_000, 10_000
EXPORT_CONTACTS, QUICK_EXPORT_CONTACTS = 100_000, 20_000
RUNS, QUICK_RUNS = 3, 1
REQUEST_SIZE = 10_000
HEADER = ["Số điện thoại", "Họ tên", "Danh xưng", "Số tiền"]
LIMITS = file_import.Limits(max_bytes=256 * 1024 * 1024, max_rows=1_000_000)


def row(n: int) -> list[Any]:
    """One customer as an operator's spreadsheet holds them: the same as bench_import's contact."""
    return [PhoneNumbers.national(n), f"Nguyễn Văn {n}", "Anh", 150_000 + n % 1000 * 1000]


def xlsx_file(numbers: list[int]) -> bytes:
    """The rows as Excel saves them: a normal (not write-only) openpyxl workbook keeps text in the
    shared-strings table as Excel does, with the sheet's size recorded at the top."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Danh sách"
    sheet.append(HEADER)
    for n in numbers:
        sheet.append(row(n))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def contacts_json(numbers: list[int]) -> list[bytes]:
    """The same rows as add-contacts bodies, REQUEST_SIZE contacts each, encoded beforehand."""
    bodies = []
    for start in range(0, len(numbers), REQUEST_SIZE):
        contacts = [
            {"phone_number": p, "ho_ten": h, "danh_xung": d, "so_tien": str(s)}
            for p, h, d, s in (row(n) for n in numbers[start : start + REQUEST_SIZE])
        ]
        bodies.append(json.dumps({"campaign_id": "", "contacts": contacts}, ensure_ascii=False).encode())
    return bodies


# --- import ------------------------------------------------------------------------------------


def time_read(data: bytes) -> float:
    started = time.perf_counter()
    with spreadsheets.open_sheet(io.BytesIO(data)) as sheet:
        count = sum(1 for _ in sheet.rows())
    elapsed = time.perf_counter() - started
    assert count > 0
    return elapsed


def time_service(db: Database, tenant: Tenant, campaign_id: str, data: bytes, rows: int) -> float:
    started = time.perf_counter()
    report = file_import.import_file(
        db=db,
        application_id=tenant.application_id,
        campaign_id=campaign_id,
        source=io.BytesIO(data),
        limits=LIMITS,
        filename="danh-sach.xlsx",
    )
    elapsed = time.perf_counter() - started
    if report.imported != rows:
        raise RuntimeError(f"service imported {report.imported} of {rows}: {report.rejected_rows()[:3]}")
    return elapsed


def time_upload(client: httpx.Client, tenant: Tenant, campaign_id: str, data: bytes, rows: int) -> float:
    headers = {"Authorization": tenant.headers()["Authorization"]}
    started = time.perf_counter()
    response = client.post(
        f"/api/v1/public-api/campaigns/{campaign_id}/contacts/import",
        files={"file": ("danh-sach.xlsx", data)},
        headers=headers,
    )
    elapsed = time.perf_counter() - started
    body = response.json()
    if response.status_code != 200 or body["summary"]["imported"] != rows:
        raise RuntimeError(f"upload: {response.status_code} {str(body)[:300]}")
    return elapsed


def time_api(client: httpx.Client, tenant: Tenant, campaign_id: str, bodies: list[bytes], rows: int) -> float:
    headers = tenant.headers()
    # The campaign id goes into the pre-encoded bodies here, outside the timing.
    prepared = [
        b.replace(b'"campaign_id": ""', f'"campaign_id": "{campaign_id}"'.encode(), 1) for b in bodies
    ]
    accepted = 0
    started = time.perf_counter()
    for body in prepared:
        response = client.post(ADD_CONTACTS_PATH, content=body, headers=headers)
        if response.status_code != 200:
            raise RuntimeError(f"add-contacts: {response.status_code} {response.text[:300]}")
        accepted += len(response.json()["result"])
    elapsed = time.perf_counter() - started
    if accepted != rows:
        raise RuntimeError(f"add-contacts accepted {accepted} of {rows}")
    return elapsed


def peak_mib(work: Callable[[], object]) -> float:
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def bench_import(backend: str, *, rows: int, runs: int) -> None:
    phones = PhoneNumbers()
    times: dict[str, list[float]] = {"read only": [], "service": [], "upload": [], "add-contacts": []}
    size = 0
    with (
        temp_database(backend) as db,
        running_server(db) as server,
        httpx.Client(base_url=server.url, timeout=600) as client,
    ):
        tenant = new_tenant(db)
        warm = phones.take(200)
        time_service(db, tenant, new_campaign(db, tenant, "warm-up"), xlsx_file(warm), 200)
        time_api(client, tenant, new_campaign(db, tenant, "warm-up"), contacts_json(phones.take(200)), 200)
        for run in range(runs):
            files = {name: phones.take(rows) for name in ("service", "upload", "add-contacts")}
            data = {name: xlsx_file(numbers) for name, numbers in files.items() if name != "add-contacts"}
            bodies = contacts_json(files["add-contacts"])
            size = len(data["service"])
            # Building the files leaves openpyxl's cyclic garbage behind; unless collected now, the
            # collector walks it during whichever in-process side comes next and slows that side.
            gc.collect()
            service_file, upload_file = data["service"], data["upload"]
            sides: list[tuple[str, Callable[[], float]]] = [
                ("read only", partial(time_read, service_file)),
                (
                    "service",
                    partial(time_service, db, tenant, new_campaign(db, tenant, "s"), service_file, rows),
                ),
                (
                    "upload",
                    partial(time_upload, client, tenant, new_campaign(db, tenant, "u"), upload_file, rows),
                ),
                (
                    "add-contacts",
                    partial(time_api, client, tenant, new_campaign(db, tenant, "a"), bodies, rows),
                ),
            ]
            shift = run % len(sides)
            for name, measure in sides[shift:] + sides[:shift]:
                times[name].append(measure())
            print(f"  {backend}: import run {run + 1}/{runs} done", file=sys.stderr, flush=True)
        memory_file = xlsx_file(phones.take(rows))
        gc.collect()
        peak = peak_mib(lambda: time_service(db, tenant, new_campaign(db, tenant, "m"), memory_file, rows))
    api = median(times["add-contacts"])
    print(f"\n{backend} — import of a {rows:,}-row XLSX ({size / 2**20:.1f} MiB), medians of {runs} runs\n")
    print_table(
        ("path", "seconds", "rows/s", "÷ add-contacts time"),
        [
            (name, f"{median(values):.2f}", f"{rows / median(values):,.0f}", f"{median(values) / api:.2f}x")
            for name, values in times.items()
        ],
    )
    print(
        f"\nservice import peak Python memory (tracemalloc): {peak:.1f} MiB for a {size / 2**20:.1f} MiB file"
    )


# --- export ------------------------------------------------------------------------------------


def seed_campaign(db: Database, tenant: Tenant, contacts: int) -> str:
    """`contacts` contacts with three tags; every other one called once (answered, 1,500 đồng)."""
    campaign_id = new_campaign(db, tenant, "export")
    now = utc_now()
    for start in range(0, contacts, 5_000):
        rows, attempts = [], []
        for n in range(start, min(start + 5_000, contacts)):
            contact_id = str(uuid.uuid4())
            phone = PhoneNumbers.e164(n)
            called = n % 2 == 0
            rows.append(
                {
                    "id": contact_id,
                    "campaign_id": campaign_id,
                    "application_id": tenant.application_id,
                    "phone": phone,
                    "dedupe_key": phone,
                    "tags": {"ho_ten": f"Nguyễn Văn {n}", "danh_xung": "Anh", "so_tien": str(150_000 + n)},
                    "status": ContactStatus.DONE.value if called else ContactStatus.PENDING.value,
                    "attempts": 1 if called else 0,
                    "last_outcome": "answered" if called else None,
                    "next_attempt_at": now,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            if called:
                attempts.append(
                    {
                        "id": uuid.uuid4().hex[:24],
                        "contact_id": contact_id,
                        "campaign_id": campaign_id,
                        "account_id": "bench",
                        "number": 1,
                        "status": AttemptStatus.FINISHED.value,
                        "worker_id": "bench",
                        "lease_until": now,
                        "claimed_at": now,
                        "started_at": now,
                        "ended_at": now,
                        "outcome": "answered",
                        "duration": 42.5,
                        "cost": 1500,
                        "keys_pressed": "1",
                        "end_reason": "completed",
                        "sip_code": 200,
                        "path": [],
                    }
                )
        with db.transaction() as session:
            session.execute(insert(Contact), rows)
            session.execute(insert(CallAttempt), attempts)
    return campaign_id


def time_export(db: Database, tenant: Tenant, campaign_id: str, fmt: str) -> tuple[float, int]:
    started = time.perf_counter()
    download = export.open_export(
        db=db, application_id=tenant.application_id, campaign_id=campaign_id, format=fmt
    )
    size = sum(len(chunk) for chunk in download.chunks)
    return time.perf_counter() - started, size


def time_bare_read(db: Database, campaign_id: str) -> float:
    started = time.perf_counter()
    with db.reading() as session:
        contacts = session.execute(
            select(
                Contact.id,
                Contact.phone,
                Contact.tags,
                Contact.status,
                Contact.attempts,
                Contact.last_outcome,
                Contact.created_at,
            ).where(Contact.campaign_id == campaign_id)
        ).all()
        attempts = session.execute(
            select(
                CallAttempt.contact_id,
                CallAttempt.status,
                CallAttempt.started_at,
                CallAttempt.duration,
                CallAttempt.cost,
                CallAttempt.keys_pressed,
                CallAttempt.end_reason,
                CallAttempt.sip_code,
            ).where(CallAttempt.campaign_id == campaign_id)
        ).all()
    elapsed = time.perf_counter() - started
    assert contacts and attempts
    return elapsed


def bench_export(backend: str, *, contacts: int, runs: int) -> None:
    times: dict[str, list[float]] = {"bare SELECT (fetch all)": [], "export CSV": [], "export XLSX": []}
    sizes: dict[str, int] = {}
    with temp_database(backend) as db:
        tenant = new_tenant(db)
        campaign_id = seed_campaign(db, tenant, contacts)
        gc.collect()
        time_export(db, tenant, campaign_id, "csv")  # warm the caches
        for run in range(runs):
            sides: list[tuple[str, Callable[[], float]]] = [
                ("bare SELECT (fetch all)", lambda: time_bare_read(db, campaign_id)),
                ("export CSV", lambda: _sized("csv", sizes, time_export(db, tenant, campaign_id, "csv"))),
                ("export XLSX", lambda: _sized("xlsx", sizes, time_export(db, tenant, campaign_id, "xlsx"))),
            ]
            shift = run % len(sides)
            for name, measure in sides[shift:] + sides[:shift]:
                times[name].append(measure())
            print(f"  {backend}: export run {run + 1}/{runs} done", file=sys.stderr, flush=True)
        peaks = {
            fmt: peak_mib(lambda fmt=fmt: time_export(db, tenant, campaign_id, fmt))
            for fmt in ("csv", "xlsx")
        }
    bare = median(times["bare SELECT (fetch all)"])
    formats = {"export CSV": "csv", "export XLSX": "xlsx"}
    title = f"export of a {contacts:,}-contact campaign (half called once), medians of {runs} runs"
    print(f"\n{backend} — {title}\n")
    print_table(
        ("what", "seconds", "contacts/s", "÷ bare SELECT time", "file", "peak Python memory"),
        [
            (
                name,
                f"{median(values):.2f}",
                f"{contacts / median(values):,.0f}",
                f"{median(values) / bare:.1f}x",
                f"{sizes[formats[name]] / 2**20:.1f} MiB" if name in formats else "",
                f"{peaks[formats[name]]:.1f} MiB" if name in formats else "",
            )
            for name, values in times.items()
        ],
    )


def _sized(fmt: str, sizes: dict[str, int], measured: tuple[float, int]) -> float:
    sizes[fmt] = measured[1]
    return measured[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=(*BACKENDS, "both"), default="both")
    parser.add_argument("--quick", action="store_true", help="10,000 rows, 20,000 contacts, one run")
    parser.add_argument("--runs", type=int, help=f"runs (default {RUNS}, quick {QUICK_RUNS})")
    parser.add_argument("--only", choices=("import", "export"), help="one half of the bench")
    args = parser.parse_args()
    runs = args.runs or (QUICK_RUNS if args.quick else RUNS)
    backends = BACKENDS if args.db == "both" else (args.db,)
    print(f"Contact files: {machine_note()}")
    for backend in backends:
        if args.only in (None, "import"):
            bench_import(backend, rows=QUICK_ROWS if args.quick else ROWS, runs=runs)
        if args.only in (None, "export"):
            bench_export(
                backend, contacts=QUICK_EXPORT_CONTACTS if args.quick else EXPORT_CONTACTS, runs=runs
            )


if __name__ == "__main__":
    main()
