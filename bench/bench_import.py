"""Contacts per second through `POST /api/v1/public-api/campaign`, beside plain bulk inserts.

For requests of 1, 100, 1,000 and 10,000 contacts it measures, in the same run and against the
same database:

* HTTP: a customer's client (httpx, keep-alive, JWT) posting the contacts to a real
  `aicall serve` in another process; the rate counts contacts the server accepted;
* insert: `insert(Contact)` executemany of the equivalent rows (same phones in E.164, same tags,
  same columns), one transaction per batch, through `aicall.db.engine.Database`.

Each run uses fresh campaigns and numbers nobody has imported; the two sides alternate which goes
first. The figure is "insert ÷ HTTP": how many times slower the API is than the bare insert (the
median of the per-run ratios, each pairing two measurements taken moments apart).

    .venv/bin/python bench/bench_import.py [--db sqlite|postgresql|both] [--quick] [--runs N]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    ADD_CONTACTS_PATH,
    BACKENDS,
    PhoneNumbers,
    Tenant,
    cpu_seconds,
    machine_note,
    median,
    new_campaign,
    new_tenant,
    print_table,
    running_server,
    temp_database,
)

from aicall.campaigns.models import Contact, ContactStatus
from aicall.clock import utc_now
from aicall.db.engine import Database

SIZES = (1, 100, 1_000, 10_000)
# Requests per timed sample, so that even the 1-contact sample lasts long enough to time.
REQUESTS_PER_SAMPLE = {1: 300, 100: 30, 1_000: 6, 10_000: 1}
QUICK_REQUESTS_PER_SAMPLE = {1: 50, 100: 5, 1_000: 2, 10_000: 1}
RUNS, QUICK_RUNS = 7, 3


def contact(n: int) -> dict[str, Any]:
    """One contact as a customer sends it: a national number and three Vietnamese tags."""
    return {
        "phone_number": PhoneNumbers.national(n),
        "ho_ten": f"Nguyễn Văn {n}",
        "danh_xung": "Anh",
        "so_tien": str(150_000 + n % 1000 * 1000),
    }


def contact_row(n: int, *, campaign_id: str, application_id: str, now: Any) -> dict[str, Any]:
    """The row the API stores for `contact(n)`."""
    phone = PhoneNumbers.e164(n)
    return {
        "id": str(uuid.uuid4()),
        "campaign_id": campaign_id,
        "application_id": application_id,
        "phone": phone,
        "dedupe_key": phone,
        "tags": {"ho_ten": f"Nguyễn Văn {n}", "danh_xung": "Anh", "so_tien": str(150_000 + n % 1000 * 1000)},
        "status": ContactStatus.PENDING.value,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
        "updated_at": now,
    }


@dataclass(frozen=True)
class HttpSample:
    seconds: float
    server_cpu: float  # CPU seconds the server process used meanwhile


def time_http(
    client: httpx.Client, server_pid: int, tenant: Tenant, campaign_id: str, batches: list[list[int]]
) -> HttpSample:
    """Seconds to post every batch (one request each), bodies encoded beforehand."""
    bodies = [
        json.dumps(
            {"campaign_id": campaign_id, "contacts": [contact(n) for n in batch]}, ensure_ascii=False
        ).encode()
        for batch in batches
    ]
    headers = tenant.headers()
    responses = []
    cpu_before = cpu_seconds(server_pid)
    started = time.perf_counter()
    for body in bodies:
        responses.append(client.post(ADD_CONTACTS_PATH, content=body, headers=headers))
    elapsed = time.perf_counter() - started
    server_cpu = cpu_seconds(server_pid) - cpu_before
    for response, batch in zip(responses, batches, strict=True):
        answer = response.json()
        if response.status_code != 200 or len(answer["result"]) != len(batch) or "rejected" in answer:
            raise RuntimeError(f"import not fully accepted: {response.status_code} {str(answer)[:500]}")
    return HttpSample(elapsed, server_cpu)


def time_insert(db: Database, tenant: Tenant, campaign_id: str, batches: list[list[int]]) -> float:
    """Seconds to insert every batch's rows (one transaction each), rows built beforehand."""
    now = utc_now()
    row_batches = [
        [
            contact_row(n, campaign_id=campaign_id, application_id=tenant.application_id, now=now)
            for n in batch
        ]
        for batch in batches
    ]
    started = time.perf_counter()
    for rows in row_batches:
        with db.transaction() as session:
            session.execute(insert(Contact), rows)
    return time.perf_counter() - started


@dataclass
class SizeResult:
    size: int
    requests: int
    http_rates: list[float] = field(default_factory=list)
    insert_rates: list[float] = field(default_factory=list)
    server_cpu: list[float] = field(default_factory=list)  # per request

    @property
    def ratios(self) -> list[float]:
        return [i / h for i, h in zip(self.insert_rates, self.http_rates, strict=True)]


def measure_run(
    result: SizeResult,
    run: int,
    *,
    db: Database,
    client: httpx.Client,
    server_pid: int,
    tenant: Tenant,
    phones: PhoneNumbers,
) -> None:
    """One HTTP sample and one insert sample of `result.size`, each into a fresh campaign with
    numbers never used; which goes first alternates with the run."""
    size, requests = result.size, result.requests
    contacts = size * requests
    http_batches = [phones.take(size) for _ in range(requests)]
    insert_batches = [phones.take(size) for _ in range(requests)]
    http_campaign = new_campaign(db, tenant, f"http {size} #{run}")
    insert_campaign = new_campaign(db, tenant, f"insert {size} #{run}")

    def http() -> None:
        sample = time_http(client, server_pid, tenant, http_campaign, http_batches)
        result.http_rates.append(contacts / sample.seconds)
        result.server_cpu.append(sample.server_cpu / requests)

    def plain_insert() -> None:
        result.insert_rates.append(contacts / time_insert(db, tenant, insert_campaign, insert_batches))

    for measure in (http, plain_insert) if run % 2 == 0 else (plain_insert, http):
        measure()


def bench_backend(backend: str, *, runs: int, per_sample: dict[int, int]) -> list[SizeResult]:
    phones = PhoneNumbers()
    results = []
    with (
        temp_database(backend) as db,
        running_server(db) as server,
        httpx.Client(base_url=server.url, timeout=300) as client,
    ):
        tenant = new_tenant(db)
        # Warm up both paths (credential cache, phone metadata, connection pools, query caches).
        for size in (1, 100):
            time_http(
                client, server.pid, tenant, new_campaign(db, tenant, "warm-up http"), [phones.take(size)]
            )
            time_insert(db, tenant, new_campaign(db, tenant, "warm-up insert"), [phones.take(size)])
        for size in SIZES:
            result = SizeResult(size, per_sample[size])
            for run in range(runs):
                measure_run(
                    result, run, db=db, client=client, server_pid=server.pid, tenant=tenant, phones=phones
                )
            results.append(result)
            print(
                f"  {backend}: {size:>6} contacts/request done (insert÷HTTP {median(result.ratios):.2f})",
                file=sys.stderr,
                flush=True,
            )
    return results


def report(backend: str, results: list[SizeResult], runs: int) -> None:
    print(f"\n{backend} — medians of {runs} runs\n")
    print_table(
        (
            "contacts/request",
            "requests/run",
            "insert contacts/s",
            "HTTP contacts/s",
            "HTTP ms/request",
            "server CPU ms/request",
            "insert÷HTTP",
            "range",
        ),
        [
            (
                f"{r.size:,}",
                r.requests,
                f"{median(r.insert_rates):,.0f}",
                f"{median(r.http_rates):,.0f}",
                f"{1000 * r.size / median(r.http_rates):,.1f}",
                f"{1000 * median(r.server_cpu):,.1f}",
                f"{median(r.ratios):.2f}x",
                f"{min(r.ratios):.2f}-{max(r.ratios):.2f}",
            )
            for r in results
        ],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=(*BACKENDS, "both"), default="both")
    parser.add_argument("--quick", action="store_true", help="fewer runs and requests (a smoke test)")
    parser.add_argument("--runs", type=int, help=f"runs per size (default {RUNS}, quick {QUICK_RUNS})")
    args = parser.parse_args()
    runs = args.runs or (QUICK_RUNS if args.quick else RUNS)
    per_sample = QUICK_REQUESTS_PER_SAMPLE if args.quick else REQUESTS_PER_SAMPLE
    backends = BACKENDS if args.db == "both" else (args.db,)
    print(f"Contact import: {machine_note()}")
    for backend in backends:
        report(backend, bench_backend(backend, runs=runs, per_sample=per_sample), runs)


if __name__ == "__main__":
    main()
