"""A dispatcher killed between its POST and the commit of the result loses nothing."""

from __future__ import annotations

import asyncio
import signal
import sys

from aicall.webhooks.testing import HANG, Reply
from tests.integration.support import SECRET_KEY
from tests.integration.webhooks.helpers import deliveries, dispatcher, emit, event

LEASE = 5.0

# The child claims the event, POSTs it, and waits for an answer that never comes until the
# test kills it with SIGKILL: no `finally`, no rollback, nothing recorded.
CHILD = f"""
import asyncio, sys
from aicall.accounts.secrets_box import SecretBox
from aicall.db.engine import Database
from aicall.webhooks.dispatcher import Dispatcher

async def main():
    db, box = Database(sys.argv[1]), SecretBox(sys.argv[2])
    dispatcher = Dispatcher(db, box, allow_private=True, lease={LEASE}, timeout=300)
    await dispatcher.run_once()

asyncio.run(main())
"""


async def test_a_dispatcher_killed_mid_delivery_leaves_the_event_to_be_sent_again_with_the_same_id(
    db, hooked, receiver, clock
):
    receiver.behaviour = HANG
    event_id = emit(db, hooked.application_id, "contact.finished")
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", CHILD, db.url, SECRET_KEY, stderr=asyncio.subprocess.PIPE
    )
    try:
        [first] = await receiver.wait_for_async(1, timeout=60)
    finally:
        child.kill()  # SIGKILL
        _, stderr = await asyncio.wait_for(child.communicate(), timeout=30)
    assert child.returncode == -signal.SIGKILL, stderr.decode()
    receiver.release()

    leased = event(db, event_id)
    assert (leased.status, leased.attempts) == ("pending", 1)
    assert leased.claimed_until is not None  # the dead dispatcher's claim, still standing
    assert deliveries(db, event_id) == []  # it recorded nothing

    receiver.behaviour = Reply(200)
    async with dispatcher(db, clock=clock) as sender:
        assert await sender.run_once() == 0  # the lease holds: nobody else sends it meanwhile
        clock.advance(LEASE + 1)
        assert await sender.run_once() == 1

    second = receiver.received[1]
    assert first.webhook_id == second.webhook_id == event_id
    assert first.body == second.body
    delivered = event(db, event_id)
    assert (delivered.status, delivered.attempts) == ("delivered", 2)
    lost, ok = deliveries(db, event_id)
    assert not lost.succeeded and lost.error is not None and "lease expired" in lost.error
    assert (ok.succeeded, ok.attempt) == (True, 2)
