"""Requests per second and p50/p99 latency of 1-contact imports under concurrent clients, beside
`GET /healthz` under the same load in the same run.

`healthz` is the floor this machine, uvicorn and the client can do at all; the ratios say what an
import adds on top of it. Runs alternate between the two; every import uses a number nobody has
imported, into a fresh campaign per run.

    .venv/bin/python bench/bench_http_latency.py [--db sqlite|postgresql|both] [--quick]
        [--requests N] [--concurrency C] [--runs R]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    ADD_CONTACTS_PATH,
    BACKENDS,
    PhoneNumbers,
    cpu_seconds,
    machine_note,
    median,
    new_campaign,
    new_tenant,
    percentile,
    print_table,
    running_server,
    temp_database,
)

REQUESTS, QUICK_REQUESTS = 2_000, 500
RUNS, QUICK_RUNS = 3, 2
CONCURRENCY = 16


@dataclass
class Load:
    """One timed burst: `count` requests, `concurrency` at a time."""

    seconds: float
    latencies: list[float]
    server_cpu: float = 0.0  # CPU seconds the server process used during the burst
    client_cpu: float = 0.0  # and this (client) process

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.seconds

    @property
    def cpu_ms(self) -> float:
        return 1000 * self.server_cpu / len(self.latencies)

    @property
    def client_cpu_ms(self) -> float:
        return 1000 * self.client_cpu / len(self.latencies)

    def p(self, fraction: float) -> float:
        return percentile(self.latencies, fraction) * 1000


async def run_load(
    send: Callable[[int], Awaitable[httpx.Response]], *, count: int, concurrency: int, server_pid: int
) -> Load:
    latencies: list[float] = []
    next_index = 0

    async def client() -> None:
        nonlocal next_index
        while next_index < count:
            index = next_index
            next_index += 1
            started = time.perf_counter()
            response = await send(index)
            latencies.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise RuntimeError(f"request {index}: {response.status_code} {response.text[:300]}")

    cpu_before, client_before = cpu_seconds(server_pid), time.process_time()
    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    server_cpu, client_cpu = cpu_seconds(server_pid) - cpu_before, time.process_time() - client_before
    return Load(elapsed, latencies, server_cpu, client_cpu)


@dataclass
class Endpoint:
    name: str
    loads: list[Load] = field(default_factory=list)

    def stat(self, pick: Callable[[Load], float]) -> float:
        return median([pick(load) for load in self.loads])


async def bench_backend(
    backend: str, *, count: int, runs: int, concurrency: int
) -> tuple[Endpoint, Endpoint]:
    phones = PhoneNumbers()
    health, imports = Endpoint("GET /healthz"), Endpoint("POST campaign, 1 contact")
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    with temp_database(backend) as db, running_server(db) as server:
        tenant = new_tenant(db)
        headers = tenant.headers()
        async with httpx.AsyncClient(base_url=server.url, limits=limits, timeout=60) as client:

            def import_sender(campaign_id: str) -> Callable[[int], Awaitable[httpx.Response]]:
                numbers = phones.take(count)
                bodies = [
                    json.dumps(
                        {
                            "campaign_id": campaign_id,
                            "contacts": [
                                {"phone_number": PhoneNumbers.national(n), "ho_ten": f"Nguyễn Văn {n}"}
                            ],
                        },
                        ensure_ascii=False,
                    ).encode()
                    for n in numbers
                ]
                return lambda i: client.post(ADD_CONTACTS_PATH, content=bodies[i], headers=headers)

            def health_sender() -> Callable[[int], Awaitable[httpx.Response]]:
                return lambda _i: client.get("/healthz")

            # Warm-up: open every connection, fill the credential cache and the server's pools.
            pid = server.pid
            await run_load(health_sender(), count=4 * concurrency, concurrency=concurrency, server_pid=pid)
            warm = import_sender(new_campaign(db, tenant, "warm-up"))
            await run_load(warm, count=4 * concurrency, concurrency=concurrency, server_pid=pid)
            for run in range(runs):
                sides = [
                    (health, health_sender()),
                    (imports, import_sender(new_campaign(db, tenant, f"latency #{run}"))),
                ]
                for endpoint, send in sides if run % 2 == 0 else reversed(sides):
                    endpoint.loads.append(
                        await run_load(send, count=count, concurrency=concurrency, server_pid=pid)
                    )
            print(f"  {backend}: done", file=sys.stderr, flush=True)
    return health, imports


def report(
    backend: str, health: Endpoint, imports: Endpoint, *, count: int, runs: int, concurrency: int
) -> None:
    print(f"\n{backend} — {count:,} requests, {runs} runs, {concurrency} concurrent clients, medians\n")
    rows = [
        (
            endpoint.name,
            f"{endpoint.stat(lambda load: load.rps):,.0f}",
            f"{endpoint.stat(lambda load: load.p(0.50)):.1f}",
            f"{endpoint.stat(lambda load: load.p(0.99)):.1f}",
            f"{endpoint.stat(lambda load: load.cpu_ms):.2f}",
            f"{endpoint.stat(lambda load: load.client_cpu_ms):.2f}",
        )
        for endpoint in (health, imports)
    ]
    ratio_rps = health.stat(lambda load: load.rps) / imports.stat(lambda load: load.rps)
    ratio_p50 = imports.stat(lambda load: load.p(0.50)) / health.stat(lambda load: load.p(0.50))
    ratio_p99 = imports.stat(lambda load: load.p(0.99)) / health.stat(lambda load: load.p(0.99))
    ratio_cpu = imports.stat(lambda load: load.cpu_ms) / health.stat(lambda load: load.cpu_ms)
    rows.append(
        (
            "import ÷ healthz",
            f"{1 / ratio_rps:.2f}x",
            f"{ratio_p50:.2f}x",
            f"{ratio_p99:.2f}x",
            f"{ratio_cpu:.2f}x",
            "",
        )
    )
    print_table(
        ("endpoint", "requests/s", "p50 ms", "p99 ms", "server CPU ms/request", "client CPU ms/request"), rows
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=(*BACKENDS, "both"), default="both")
    parser.add_argument("--quick", action="store_true", help="fewer requests and runs (a smoke test)")
    parser.add_argument("--requests", type=int, help=f"requests per run (default {REQUESTS:,})")
    parser.add_argument("--runs", type=int, help=f"runs per endpoint (default {RUNS})")
    parser.add_argument("--concurrency", type=int, default=CONCURRENCY)
    args = parser.parse_args()
    count = args.requests or (QUICK_REQUESTS if args.quick else REQUESTS)
    runs = args.runs or (QUICK_RUNS if args.quick else RUNS)
    backends = BACKENDS if args.db == "both" else (args.db,)
    print(f"HTTP latency: {machine_note()}")
    for backend in backends:
        health, imports = asyncio.run(
            bench_backend(backend, count=count, runs=runs, concurrency=args.concurrency)
        )
        report(backend, health, imports, count=count, runs=runs, concurrency=args.concurrency)


if __name__ == "__main__":
    main()
