"""What the shared rate limit (issue 13) costs an API request, beside the in-process one.

1. The limiter alone: `RateLimiter.check` (in-process, the old limit) beside
   `SharedRateLimiter.check` with leases of 1, 0.01 s and 0.1 s (the default) of the rate, at a
   demand equal to the rate (a driven clock moves 1/rate per request, so every request is
   admitted and each lease is spent): microseconds per request, and per lease (one upsert).
2. Over HTTP: `GET /campaigns/{id}` through `aicall serve` with the limit off
   (AICALL_RATE_LIMIT_PER_SECOND=0: the in-process limit costs a couple of microseconds, step 1,
   so this is its baseline) beside the shared limit at the default 500/s (leases of 50),
   alternating runs of 1,000 requests (within the burst, after a pause that refills the bucket,
   so nothing is refused): requests/s, p50/p99, server CPU.

    .venv/bin/python bench/bench_shared_limits.py [--db sqlite|postgresql|both] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_http_latency import Load, run_load
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

from aicall.db.limits import SharedBuckets
from aicall.web.rate_limit import RateLimiter, SharedRateLimiter

RATE = 500.0  # requests per second: the default AICALL_RATE_LIMIT_PER_SECOND
# Over HTTP: the default rate (lease 50), runs of at most its burst (2 * RATE) after a pause
# that refills the bucket, so nothing is refused and a lease is taken every 50 requests.
HTTP_REQUESTS = 1_000
REFILL_PAUSE = 2.0  # seconds: the whole burst back at RATE
CAMPAIGNS = "/api/v1/public-api/campaigns"
MAX_LEASES = 1_000  # database takes per limiter and run in step 1


class DrivenClock:
    def __init__(self) -> None:
        self.now = datetime(2027, 1, 15, 3, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


class DrivenSeconds:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def micro(backend: str, *, count: int, runs: int) -> list[tuple[str, ...]]:
    """Microseconds per admitted request for each limiter, medians of `runs`."""
    step = timedelta(seconds=1 / RATE)
    rows: list[tuple[str, ...]] = []
    with temp_database(backend) as db:
        per_request: dict[str, list[float]] = {}
        per_lease: dict[str, list[float]] = {}
        for run in range(runs):
            clock = DrivenClock()
            ticks = DrivenSeconds()
            local = RateLimiter(RATE, 2 * RATE, clock=ticks)
            began = time.perf_counter()
            for _ in range(count):
                local.check("app")
                ticks.now += 1 / RATE
            per_request.setdefault("in-process", []).append((time.perf_counter() - began) / count)
            for name, seconds in (
                ("shared, lease 1", 1 / RATE),
                ("shared, lease 5", 0.01),
                ("shared, lease 50", 0.1),
            ):
                limiter = SharedRateLimiter(
                    SharedBuckets(db), RATE, 2 * RATE, clock=clock, lease_seconds=seconds
                )
                key = f"app-{run}-{limiter.lease}"
                n = min(count, MAX_LEASES * limiter.lease)  # a lease a request is slow: fewer
                began = time.perf_counter()
                for _ in range(n):
                    limiter.check(key)
                    clock.now += step
                elapsed = time.perf_counter() - began
                per_request.setdefault(name, []).append(elapsed / n)
                per_lease.setdefault(name, []).append(elapsed / (n / limiter.lease))
        base = median(per_request["in-process"])
        for name, values in per_request.items():
            us = median(values) * 1e6
            lease_ms = f"{median(per_lease[name]) * 1e3:.2f}" if name in per_lease else ""
            rows.append((backend, name, f"{us:.1f}", f"{median(values) / base:.0f}x", lease_ms))
    return rows


async def http(backend: str, *, count: int, runs: int, concurrency: int) -> list[tuple[str, ...]]:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    loads: dict[str, list[Load]] = {"limit off": [], "shared": []}
    with temp_database(backend) as db:
        tenant = new_tenant(db)
        campaign = new_campaign(db, tenant, "limits")
        with contextlib.ExitStack() as stack:
            started = {}
            for name, rate in (("limit off", 0.0), ("shared", RATE)):
                # running_server passes os.environ to `aicall serve` as it starts it.
                os.environ["AICALL_RATE_LIMIT_PER_SECOND"] = str(rate)
                started[name] = stack.enter_context(running_server(db))
            os.environ.pop("AICALL_RATE_LIMIT_PER_SECOND", None)
            for server in started.values():  # warm-up: connections, credential cache, pools
                async with httpx.AsyncClient(base_url=server.url, limits=limits, timeout=60) as client:
                    send = _getter(client, campaign, tenant.headers())
                    await run_load(
                        send, count=4 * concurrency, concurrency=concurrency, server_pid=server.pid
                    )
            for run in range(runs):
                order = list(started.items()) if run % 2 == 0 else list(reversed(started.items()))
                for name, server in order:
                    await asyncio.sleep(REFILL_PAUSE)
                    async with httpx.AsyncClient(base_url=server.url, limits=limits, timeout=60) as client:
                        send = _getter(client, campaign, tenant.headers())
                        loads[name].append(
                            await run_load(send, count=count, concurrency=concurrency, server_pid=server.pid)
                        )
    rows = []
    for name, measured in loads.items():
        rows.append(
            (
                backend,
                name,
                f"{median([load.rps for load in measured]):,.0f}",
                f"{median([load.p(0.50) for load in measured]):.1f}",
                f"{median([load.p(0.99) for load in measured]):.1f}",
                f"{median([load.cpu_ms for load in measured]):.2f}",
            )
        )
    return rows


def _getter(
    client: httpx.AsyncClient, campaign: str, headers: dict[str, str]
) -> Callable[[int], Awaitable[httpx.Response]]:
    return lambda _i: client.get(f"{CAMPAIGNS}/{campaign}", headers=headers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=(*BACKENDS, "both"), default="both")
    parser.add_argument("--quick", action="store_true", help="fewer requests and runs (a smoke test)")
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    backends = BACKENDS if args.db == "both" else (args.db,)
    count, runs = (1_000, 2) if args.quick else (5_000, 3)
    print(f"Shared limits: {machine_note()}")
    micro_rows = [row for backend in backends for row in micro(backend, count=10 * count, runs=runs)]
    print(
        f"\nThe limiter alone: {10 * count:,} admitted requests at {RATE:.0f}/s (driven clock; at most "
        f"{MAX_LEASES:,} leases), medians of {runs}\n"
    )
    print_table(("database", "limiter", "µs/request", "÷ in-process", "ms per lease"), micro_rows)
    http_rows = [
        row
        for backend in backends
        for row in asyncio.run(http(backend, count=HTTP_REQUESTS, runs=runs, concurrency=args.concurrency))
    ]
    print(
        f"\nGET /campaigns/{{id}} over HTTP: {HTTP_REQUESTS:,} requests, {args.concurrency} concurrent, "
        f"shared at {RATE:.0f}/s (lease {int(RATE * 0.1)}), medians of {runs}\n"
    )
    print_table(("database", "limit", "requests/s", "p50 ms", "p99 ms", "server CPU ms/request"), http_rows)


if __name__ == "__main__":
    main()
