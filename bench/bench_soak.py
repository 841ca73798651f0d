"""Soak: imports through the API while a campaign dials on the simulator and webhooks deliver,
for a bounded time; API p99, calls/s, deliveries/s and the server processes' memory over time,
and whether memory levelled off (issue 13).

One PostgreSQL server of the run's own (autovacuum on), `aicall init --demo`, one API process
(`aicall serve`, engine off) and `--workers` engine processes (`aicall worker`, default 2), a
real HTTP webhook receiver on the loopback (tests/acceptance/scale.py). For `--minutes`
(default 10):

* an importer adds `--rate` contacts per second (default 50) through the public API, in
  requests of 100 with an Idempotency-Key each, to the demo campaign (200 calls/s allowed,
  phones mixed by last digit, not-reached ones re-called a second later: 1.4 attempts and 2.4
  webhooks per contact);
* a reader asks `GET /campaigns/{id}` (live counts) 10 times a second, as a dashboard would;
* every 10 s a sample: p99 of the API requests that ended in the window (both kinds), attempts
  finished per second, webhooks received per second, and for each server process its VmRSS
  (/proc/<pid>/status) and tracemalloc's traced memory: the Python objects still alive that were
  allocated since the process's probe began tracing (`--trace-after`, default 60 s after its
  start, so start-up imports are not slowed), written every 10 s by the probe that
  bench/soak_probe/sitecustomize.py puts into each server (PYTHONPATH; nothing in src/ knows).
  RSS also holds the allocator's free arenas and grows with the peak; a leak shows in traced
  memory. Tracing one frame per allocation costs the servers some CPU (`--frames 25
  --snapshots 90,240 --probe-dir DIR` dumps snapshots to compare by traceback, far slower).

Then the importer stops, the backlog is dialled and delivered, and the exactness checks of the
scale-out test are asserted (scale.check_exact). Memory "levels off" when, for every process,
the least-squares slopes of its RSS and of its traced memory over the last third of the run
(`--judge-last`) are at most `--slope-bound` MiB per minute (default 1.0). The first minutes are
warm-up, not judged: pymalloc's arenas, SQLAlchemy's compiled-statement caches and the phone
cache (aicall/phones.py, 16,384 numbers) fill then. A leak of a few hundred bytes per call or
per contact at this rate would show as about 1 MiB per minute.

    .venv/bin/python bench/bench_soak.py [--minutes 10] [--rate 50] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(Path(__file__).resolve().parent), str(ROOT)]  # bench/ and the repo (tests/)

import requests  # noqa: E402
from common import machine_note, percentile, print_table  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from aicall.calls.models import CallAttempt  # noqa: E402
from tests.acceptance.scale import (  # noqa: E402
    ADD_CONTACTS,
    CAMPAIGNS,
    Cluster,
    balance_of,
    check_exact,
    phone_of,
    receiver,
    tuned_postgres,
    wait_settled,
)

SAMPLE_EVERY = 10.0  # seconds
IMPORT_BATCH = 100
READS_PER_SECOND = 10


def rss_mib(pid: int) -> float:
    """VmRSS of a process, in MiB (/proc/<pid>/status gives kB)."""
    for row in Path(f"/proc/{pid}/status").read_text().splitlines():
        if row.startswith("VmRSS:"):
            return int(row.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


PROBE = Path(__file__).resolve().parent / "soak_probe"


def probe_dir(asked: str, tmp: str) -> str:
    path = Path(asked) if asked else Path(tmp) / "probe"
    path.mkdir(parents=True, exist_ok=True)
    return str(path)


class Traced:
    """tracemalloc's traced memory of a server process, in MiB, as its probe last wrote it
    (bench/soak_probe/sitecustomize.py); NaN before the first line."""

    def __init__(self, directory: str) -> None:
        self.directory = Path(directory)

    def __call__(self, pid: int) -> float:
        path = self.directory / f"{pid}.jsonl"
        if not path.exists():
            return float("nan")
        rows = path.read_text().splitlines()
        return json.loads(rows[-1])["traced"] / 2**20 if rows else float("nan")


def slope_per_minute(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, value) points, per minute."""
    n = len(points)
    if n < 2:
        return 0.0
    mx = sum(t for t, _ in points) / n
    my = sum(v for _, v in points) / n
    var = sum((t - mx) ** 2 for t, _ in points)
    return 60 * sum((t - mx) * (v - my) for t, v in points) / var if var else 0.0


class Load:
    """The importer and the reader, each a thread, recording (end time, seconds) per request."""

    def __init__(self, cluster: Cluster, campaign_id: str, rate: float) -> None:
        self.cluster = cluster
        self.campaign_id = campaign_id
        self.rate = rate
        self.stop = threading.Event()
        self.latencies: list[tuple[float, float]] = []
        self.imported = 0
        self.errors: list[str] = []
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._import), threading.Thread(target=self._read)]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def join(self) -> None:
        self.stop.set()
        for thread in self._threads:
            thread.join()

    def _record(self, began: float, answer: requests.Response) -> None:
        ended = time.perf_counter()
        with self._lock:
            self.latencies.append((time.monotonic(), ended - began))
            if answer.status_code != 200:
                self.errors.append(f"{answer.status_code} {answer.text[:200]}")

    def _import(self) -> None:
        session = requests.Session()
        url = self.cluster.api_urls[0] + ADD_CONTACTS
        every = IMPORT_BATCH / self.rate
        next_at = time.monotonic()
        n = 0
        while not self.stop.is_set():
            body = {
                "campaign_id": self.campaign_id,
                "contacts": [
                    {"phone_number": phone_of(k), "ho_ten": f"Khách {k}", "so_tien": str(1000 + k)}
                    for k in range(n, n + IMPORT_BATCH)
                ],
            }
            headers = {**self.cluster.headers, "Idempotency-Key": f"soak-{n}"}
            began = time.perf_counter()
            try:
                answer = session.post(url, json=body, headers=headers, timeout=60)
            except requests.ConnectionError:  # a kept-alive connection closed: sent again, same key
                continue
            self._record(began, answer)
            if answer.status_code == 200:
                n += IMPORT_BATCH
                with self._lock:
                    self.imported = n
            next_at += every
            self.stop.wait(max(0.0, next_at - time.monotonic()))

    def _read(self) -> None:
        session = requests.Session()
        url = f"{self.cluster.api_urls[0]}{CAMPAIGNS}/{self.campaign_id}"
        headers = self.cluster.headers
        while not self.stop.is_set():
            began = time.perf_counter()
            try:
                self._record(began, session.get(url, headers=headers, timeout=60))
            except requests.ConnectionError:  # a kept-alive connection closed: asked again
                continue
            self.stop.wait(1 / READS_PER_SECOND)


def finished_attempts(cluster: Cluster) -> int:
    with cluster.demo.db.reading() as session:
        return int(
            session.scalar(
                select(func.count()).select_from(CallAttempt).where(CallAttempt.status == "finished")
            )
            or 0
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=50.0, help="contacts imported per second")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--slope-bound", type=float, default=1.0, help="MiB per minute, per process")
    parser.add_argument(
        "--judge-last", type=float, default=1 / 3, help="part of the run the slopes are judged on"
    )
    parser.add_argument("--frames", type=int, default=1, help="tracemalloc frames per allocation")
    parser.add_argument(
        "--snapshots", default="", help="seconds (comma separated) at which each server dumps a snapshot"
    )
    parser.add_argument(
        "--trace-after", type=float, default=60.0, help="each server starts tracemalloc then (s)"
    )
    parser.add_argument("--probe-dir", default="", help="where the probe writes (default: a temporary one)")
    args = parser.parse_args()
    print(machine_note(), flush=True)
    print(
        f"soak: {args.minutes:g} min, {args.rate:g} contacts/s imported, 1 API + {args.workers} workers, "
        f"PostgreSQL (own server, autovacuum on)",
        flush=True,
    )
    with (
        tuned_postgres() as server,
        receiver() as hook,
        tempfile.TemporaryDirectory(prefix="aicall-soak-") as tmp,
        Cluster.init(Path(tmp), server.url, hook.url) as cluster,
    ):
        # The probe goes into the server processes only (not the set-up commands before them).
        cluster.env = {
            **cluster.env,
            "PYTHONPATH": str(PROBE),
            "SOAK_PROBE_DIR": probe_dir(args.probe_dir, tmp),
            "SOAK_PROBE_FRAMES": str(args.frames),
            "SOAK_PROBE_SNAPSHOTS": args.snapshots,
            "SOAK_PROBE_DELAY": str(args.trace_after),
        }
        traced_of = Traced(cluster.env["SOAK_PROBE_DIR"])
        cluster.start_apis(1)
        campaign = cluster.configure_demo_campaign()
        account_id = cluster.demo.keys["account_id"]
        balance_before = balance_of(cluster.demo.db, account_id)
        cluster.start_workers(args.workers)
        processes = {"api": cluster.api_pids[0]} | {
            f"worker{n + 1}": pid for n, pid in enumerate(cluster.worker_pids)
        }
        load = Load(cluster, campaign, args.rate)
        began = time.monotonic()
        load.start()
        samples: list[dict[str, float]] = []
        last_calls, last_hooks, last_at = 0, 0, began
        try:
            while time.monotonic() - began < args.minutes * 60:
                time.sleep(SAMPLE_EVERY - (time.monotonic() - began) % SAMPLE_EVERY)
                now = time.monotonic()
                calls, hooks = finished_attempts(cluster), len(hook.received)
                with load._lock:
                    window = [s for t, s in load.latencies if last_at < t <= now]
                sample = {
                    "t": now - began,
                    "p99_ms": 1000 * percentile(window, 0.99) if window else float("nan"),
                    "requests": len(window),
                    "calls_s": (calls - last_calls) / (now - last_at),
                    "hooks_s": (hooks - last_hooks) / (now - last_at),
                    **{name: rss_mib(pid) for name, pid in processes.items()},
                    **{f"{name}_py": traced_of(pid) for name, pid in processes.items()},
                }
                samples.append(sample)
                print(
                    f"  {sample['t']:5.0f} s  p99 {sample['p99_ms']:6.1f} ms ({len(window)} requests)  "
                    f"{sample['calls_s']:6.1f} calls/s  {sample['hooks_s']:6.1f} webhooks/s  "
                    + "  ".join(
                        f"{name} {sample[name]:.1f} MiB ({sample[name + '_py']:.1f} py)" for name in processes
                    ),
                    flush=True,
                )
                last_calls, last_hooks, last_at = calls, hooks, now
        finally:
            load.join()
        imported = load.imported
        assert not load.errors, load.errors[:5]
        settle = wait_settled(cluster.demo.db, [campaign], hook, contacts=imported, timeout=900)
        cluster.stop_workers()
        checked = check_exact(
            cluster.demo.db,
            account_id=account_id,
            campaigns=[campaign],
            contacts=imported,
            balance_before=balance_before,
            received=hook.received,
        )
        cluster.demo.db.dispose()

    # Judged on the last third: the first minutes fill the allocator's arenas and the bounded
    # caches (SQLAlchemy's compiled statements, the phone cache), which is warm-up, not a leak.
    tail = [s for s in samples if s["t"] > samples[-1]["t"] * (1 - args.judge_last)]
    rss_slopes = {name: slope_per_minute([(s["t"], s[name]) for s in tail]) for name in processes}
    py_slopes = {
        name: slope_per_minute(
            [(s["t"], s[name + "_py"]) for s in tail if s[name + "_py"] == s[name + "_py"]]
        )
        for name in processes
    }
    print_table(
        [
            "t (s)",
            "API p99 (ms)",
            "calls/s",
            "webhooks/s",
            *[f"{n} RSS (MiB)" for n in processes],
            *[f"{n} traced (MiB)" for n in processes],
        ],
        [
            [
                f"{s['t']:.0f}",
                f"{s['p99_ms']:.1f}",
                f"{s['calls_s']:.0f}",
                f"{s['hooks_s']:.0f}",
                *[f"{s[n]:.1f}" for n in processes],
                *[f"{s[n + '_py']:.1f}" for n in processes],
            ]
            for s in samples
        ],
    )
    latencies = [s for _, s in load.latencies]
    print(
        f"\n{imported:,} contacts imported, {checked.attempts:,} attempts, {checked.events:,} webhooks, "
        f"exact (each once, in order; ledger = charges = {checked.charged:,} đồng); backlog settled "
        f"{settle:.0f} s after the importer stopped; API p99 over the run "
        f"{1000 * percentile(latencies, 0.99):.1f} ms "
        f"({len(latencies):,} requests)"
    )
    level = all(abs(v) <= args.slope_bound for v in [*rss_slopes.values(), *py_slopes.values()])
    print(
        f"slopes over the last {args.judge_last:.0%} of the run ({len(tail)} samples): RSS "
        + ", ".join(f"{name} {v:+.2f}" for name, v in rss_slopes.items())
        + "; traced (Python objects) "
        + ", ".join(f"{name} {v:+.2f}" for name, v in py_slopes.items())
        + f" MiB/min -> {'levelled off' if level else 'STILL GROWING'} (bound {args.slope_bound:g} MiB/min)"
    )


if __name__ == "__main__":
    main()
