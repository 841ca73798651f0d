"""Two dialers on one campaign dial at its calls-per-second limit together, not each (issue 13).
Two `Dialer`s with their own database connections stand for two worker processes; their clock
is a number the test moves, the simulator answers at once."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from aicall.calls.models import CallAttempt
from aicall.clock import utc_now
from aicall.db.engine import Database
from aicall.dialer.scheduler import Dialer
from tests.integration.dialer.support import NO_RETRY, add_contacts, make_dialer, prepare_campaign
from tests.integration.support import Tenant

RATE = 5  # calls per second; the burst is one second's worth
SECONDS = 10
STEP = 0.1


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def dials(db: Database) -> int:
    with db.reading() as session:
        return int(session.scalar(select(func.count()).select_from(CallAttempt)) or 0)


async def test_two_dialers_start_at_most_the_campaigns_rate_together(
    db: Database, tenant: Tenant, tmp_path: Path
) -> None:
    prepare_campaign(db, tenant, retry=NO_RETRY, calls_per_second=RATE, max_concurrent=200)
    add_contacts(db, tenant, [f"+8498765{n:04d}" for n in range(300)])  # more than 10 s can dial
    other_db = Database(db.url)
    clock = Clock(utc_now() + timedelta(seconds=1))
    dialers: list[Dialer] = []
    try:
        for name, database in (("one", db), ("two", other_db)):
            dialer = make_dialer(database, tmp_path / name, worker_id=name)
            dialer.clock = clock
            dialers.append(dialer)
        started = {"one": 0, "two": 0}
        order = random.Random(13)
        for _ in range(round(SECONDS / STEP) + 1):  # passes at t = 0, 0.1, ..., 10 s
            order.shuffle(dialers)  # either may come first after the bucket refilled, as in life
            for dialer in dialers:
                started[dialer.worker_id] += await dialer.run_once()
                await dialer.drain()
            clock.now += timedelta(seconds=STEP)
    finally:
        other_db.dispose()
    total = started["one"] + started["two"]
    assert total == dials(db)
    # At most rate * elapsed + burst (elapsed: 10 s between the first and last pass); without
    # the shared bucket each dialer alone would have started that many.
    assert total <= RATE * SECONDS + RATE
    assert total >= RATE * SECONDS  # and the limit is reached, not undershot
    assert started["one"] > 0 and started["two"] > 0
