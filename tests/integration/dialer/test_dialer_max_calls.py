"""`AICALL_DIALER_MAX_CALLS`: one dialer process never holds more calls than its cap, whatever
the campaign allows; the rest wait for it (or for another worker)."""

from __future__ import annotations

from sqlalchemy import func, select

from aicall.calls.models import CallAttempt
from tests.integration.dialer.support import add_contacts, make_dialer, prepare_campaign

# Last digit 7: the phone answers and never presses a key, so each call lasts a few seconds.
SILENT = [f"+8498765{n:03d}7" for n in range(10)]


def _attempts(db) -> int:
    with db.reading() as session:
        return session.scalar(select(func.count()).select_from(CallAttempt)) or 0


async def test_a_dialer_holds_at_most_its_cap_of_calls(db, tmp_path, tenant):
    prepare_campaign(db, tenant, max_concurrent=50, calls_per_second=200)
    add_contacts(db, tenant, SILENT)
    dialer = make_dialer(db, tmp_path, time_scale=0.2)
    dialer.settings = dialer.settings.model_copy(update={"dialer_max_calls": 3})
    await dialer.router.start()
    try:
        assert await dialer.run_once() == 3
        assert await dialer.run_once() == 0  # three calls still live: the cap is reached
        assert dialer.calls_in_flight == 3
        await dialer.drain()
        assert _attempts(db) == 3
        assert await dialer.run_once() == 3  # the cap frees as calls end
        await dialer.drain()
        assert _attempts(db) == 6
    finally:
        await dialer.router.close()
