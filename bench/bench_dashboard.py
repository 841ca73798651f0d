"""The dashboard's contacts page on a 100,000-contact campaign, beside the bare SQL behind it.

For each page below it measures, in the same run and against the same database:

* TTFB and full: a signed-in person's browser as httpx sees it (keep-alive, session cookie),
  `GET /campaigns/{id}/contacts?...` on a real `aicall serve` in another process: time to the
  response head, and to the last byte of the page;
* SQL: the one SELECT behind the page (`campaigns.contact_pages.page_query`, the statement the
  page runs, through SQLAlchemy Core on a pooled connection in this process), rows fetched.

Pages: the first page; a middle page (the keyset cursor of contact 50,000); a status filter (the
10 % of contacts that failed); a search for a name that matches 10 contacts (the tags of every
contact whose text passes the cheap test are read: the slowest page there is). Beside them, for
reference: the same middle page by OFFSET 50,000 (the query keyset paging avoids), and the page
of a campaign with no contacts (what a page costs besides its query: HTTP, the session cookie,
the sign-in check, the campaign's row, the template). Samples of the page and the query
alternate; the figures are medians, and "full ÷ SQL" is the median of per-sample ratios.

    .venv/bin/python bench/bench_dashboard.py [--db sqlite|postgresql|both] [--quick] [--samples N]
"""

from __future__ import annotations

import argparse
import re
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Select, insert, select, text

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    BACKENDS,
    machine_note,
    median,
    new_campaign,
    new_tenant,
    print_table,
    running_server,
    temp_database,
)

from aicall.accounts import users as user_service
from aicall.accounts.models import Application
from aicall.campaigns import contact_pages
from aicall.campaigns.contact_pages import ContactFilter, Cursor
from aicall.campaigns.models import Contact
from aicall.clock import utc_now
from aicall.db.engine import Database

CONTACTS = 100_000
IMPORTS = 10  # the campaign is filled by ten imports of 10,000: rows of one import share created_at
MIDDLE = 50_000
PASSWORD = "bench-password-123"
SEARCH_NAME = "Trần Thị Bích 777"  # tags of 10 contacts contain it (see `row`)
SAMPLES, QUICK_SAMPLES = 30, 8


def row(n: int, *, campaign_id: str, application_id: str, created_at: Any) -> dict[str, Any]:
    """Contact n: 25 % done, 10 % failed, 5 % re-call, the rest pending; a Vietnamese name."""
    status, outcome = "pending", None
    if n % 20 < 5:
        status, outcome = "done", "answered"
    elif n % 20 < 7:
        status, outcome = "failed", "busy"
    elif n % 20 == 7:
        status, outcome = "retry_wait", "no_answer"
    phone = f"+8498{n:07d}"
    name = f"Trần Thị Bích {n % 10_000}" if n % 10_000 == 777 else f"Nguyễn Văn {n}"
    return {
        "id": str(uuid.uuid4()),
        "campaign_id": campaign_id,
        "application_id": application_id,
        "phone": phone,
        "dedupe_key": phone,
        "tags": {"ho_ten": name, "so_tien": str(150_000 + n % 1000 * 1000)},
        "status": status,
        "attempts": 0 if status == "pending" else 1,
        "last_outcome": outcome,
        "next_attempt_at": created_at,
        "created_at": created_at,
        "updated_at": created_at,
    }


def fill(db: Database, campaign_id: str, application_id: str) -> None:
    start = utc_now() - timedelta(days=1)
    per_import = CONTACTS // IMPORTS
    for i in range(IMPORTS):
        created_at = start + timedelta(minutes=i)
        rows = [
            row(n, campaign_id=campaign_id, application_id=application_id, created_at=created_at)
            for n in range(i * per_import, (i + 1) * per_import)
        ]
        with db.transaction() as session:
            session.execute(insert(Contact), rows)
    with db.engine.connect() as conn:  # statistics, as autovacuum / a DBA's ANALYZE would have
        conn.execute(text("ANALYZE"))
        conn.commit()


@dataclass
class Case:
    name: str
    query: Select[Any]
    params: dict[str, str]
    expect_rows: int
    path: str = ""  # the page: /campaigns/{id}/contacts; empty for a query without a page
    sql: list[float] = field(default_factory=list)
    ttfb: list[float] = field(default_factory=list)
    full: list[float] = field(default_factory=list)

    @property
    def ratios(self) -> list[float]:
        return [f / s for f, s in zip(self.full, self.sql, strict=True)]


def build_cases(db: Database, campaign_id: str) -> list[Case]:
    dialect = db.dialect

    def query(filters: ContactFilter, after: Cursor | None = None) -> Select[Any]:
        return contact_pages.page_query(
            campaign_id=campaign_id, filters=filters, dialect=dialect, after=after
        )

    with db.reading() as session:
        edge = session.execute(
            select(Contact.created_at, Contact.id)
            .where(Contact.campaign_id == campaign_id)
            .order_by(Contact.created_at, Contact.id)
            .offset(MIDDLE - 1)
            .limit(1)
        ).one()
    middle = Cursor(edge.created_at, edge.id)
    size = contact_pages.PAGE_SIZE + 1
    offset_query = query(ContactFilter()).offset(MIDDLE)  # the same SELECT, skipping 50,000 rows
    path = f"/campaigns/{campaign_id}/contacts"
    return [
        Case("first page", query(ContactFilter()), {}, size, path),
        Case(
            "middle page (keyset, contact 50,000)",
            query(ContactFilter(), middle),
            {"after": middle.token()},
            size,
            path,
        ),
        Case("status = failed", query(ContactFilter(status="failed")), {"status": "failed"}, size, path),
        Case(
            f"search '{SEARCH_NAME[:-4]}…'",
            query(ContactFilter(search=SEARCH_NAME)),
            {"q": SEARCH_NAME},
            10,
            path,
        ),
        Case("reference: middle page by OFFSET", offset_query, {}, size),
    ]


def empty_case(db: Database, campaign_id: str) -> Case:
    """The page of a campaign without contacts: what a page costs besides its query (HTTP,
    session cookie, sign-in check, the campaign's row, the template)."""
    query = contact_pages.page_query(campaign_id=campaign_id, filters=ContactFilter(), dialect=db.dialect)
    return Case("reference: page of an empty campaign", query, {}, 0, f"/campaigns/{campaign_id}/contacts")


def sign_in(client: httpx.Client, email: str) -> None:
    form = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    if token is None:
        raise RuntimeError("no CSRF token on the login page")
    answer = client.post("/login", data={"csrf_token": token.group(1), "email": email, "password": PASSWORD})
    if answer.status_code != 303:
        raise RuntimeError(f"login failed: {answer.status_code}")


def time_sql(db: Database, case: Case) -> float:
    with db.read_engine.connect() as conn:
        started = time.perf_counter()
        rows = conn.execute(case.query).all()
        elapsed = time.perf_counter() - started
    if len(rows) != case.expect_rows:
        raise RuntimeError(f"{case.name}: {len(rows)} rows, expected {case.expect_rows}")
    return elapsed


def time_page(client: httpx.Client, case: Case) -> tuple[float, float]:
    started = time.perf_counter()
    with client.stream("GET", case.path, params=case.params) as response:
        head = time.perf_counter() - started
        body = response.read()
        full = time.perf_counter() - started
    shown = body.count(b"data-contact-id=")
    if response.status_code != 200 or shown != min(case.expect_rows, contact_pages.PAGE_SIZE):
        raise RuntimeError(f"{case.name}: HTTP {response.status_code}, {shown} rows")
    return head, full


def bench_backend(backend: str, samples: int) -> list[list[object]]:
    with temp_database(backend) as db:
        tenant = new_tenant(db)
        campaign_id = new_campaign(db, tenant, "100,000 contacts")
        with db.transaction() as session:
            app = session.get(Application, tenant.application_id)
            assert app is not None
            email = f"bench-{uuid.uuid4().hex[:8]}@example.com"
            user_service.create_user(
                session=session, account_id=app.account_id, email=email, password=PASSWORD
            )
        started = time.perf_counter()
        fill(db, campaign_id, tenant.application_id)
        print(f"{backend}: {CONTACTS:,} contacts stored in {time.perf_counter() - started:.1f} s", flush=True)
        cases = [*build_cases(db, campaign_id), empty_case(db, new_campaign(db, tenant, "no contacts"))]
        with running_server(db) as server, httpx.Client(base_url=server.url, timeout=60) as client:
            sign_in(client, email)
            for case in cases:  # warm-up: connection pools, statement caches, templates
                for _ in range(3):
                    time_sql(db, case)
                    if case.path:
                        time_page(client, case)
            for sample in range(samples):
                for case in cases:
                    order = (0, 1) if sample % 2 == 0 else (1, 0)
                    for step in order:
                        if step == 0:
                            case.sql.append(time_sql(db, case))
                        elif case.path:
                            head, full = time_page(client, case)
                            case.ttfb.append(head)
                            case.full.append(full)
    rows: list[list[object]] = []
    for case in cases:
        sql_ms = median(case.sql) * 1000
        if case.path:
            rows.append(
                [
                    backend,
                    case.name,
                    f"{sql_ms:.2f}",
                    f"{median(case.ttfb) * 1000:.2f}",
                    f"{median(case.full) * 1000:.2f}",
                    f"{median(case.ratios):.1f}x",
                ]
            )
        else:
            rows.append([backend, case.name, f"{sql_ms:.2f}", "-", "-", "-"])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=(*BACKENDS, "both"), default="both")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_SAMPLES} samples instead of {SAMPLES}")
    parser.add_argument("--samples", type=int, default=None)
    args = parser.parse_args()
    samples = args.samples or (QUICK_SAMPLES if args.quick else SAMPLES)
    backends = BACKENDS if args.db == "both" else (args.db,)
    print(machine_note(), flush=True)
    rows: list[list[object]] = []
    for backend in backends:
        rows += bench_backend(backend, samples)
    print(f"\ncontacts page of a {CONTACTS:,}-contact campaign, medians of {samples} samples (ms)\n")
    print_table(["db", "page", "SQL", "TTFB", "full", "full ÷ SQL"], rows)


if __name__ == "__main__":
    main()
