"""A dialer runs for weeks: what it keeps in memory per account must not grow with the number of
accounts it has ever dialled for (issue 13, the soak). Counted, not timed."""

from __future__ import annotations

from tests.integration.dialer.support import (
    NO_RETRY,
    add_contacts,
    make_dialer,
    prepare_campaign,
    run_until_idle,
)
from tests.integration.support import make_tenant


async def test_accounts_dialled_and_done_leave_nothing_behind_in_the_dialer(db, tmp_path):
    dialer = make_dialer(db, tmp_path)
    held_after: list[int] = []
    for round_, accounts in enumerate((2, 6)):
        for n in range(accounts):
            tenant = make_tenant(db, f"Soak {round_}-{n}")
            prepare_campaign(db, tenant, retry=NO_RETRY)
            add_contacts(db, tenant, [f"09{round_}{n:07d}"])
        await run_until_idle(dialer)
        await dialer.run_once()  # a pass with nothing to dial gives the credit blocks back
        held_after.append(len(dialer._held) + len(dialer._block_accounts))
    # Each account's calls are stored: nothing of it stays (before: one entry per account).
    assert held_after == [0, 0]
