"""Issue 5's acceptance: a campaign on the simulator reports to a real local receiver that fails
its first deliveries; every attempt and final result arrives, signed, none missing, and every
repeated delivery is explained by a failed one before it."""

from __future__ import annotations

import asyncio
import json
from collections import Counter

from sqlalchemy import select
from standardwebhooks import Webhook

from aicall import notify
from aicall.calls.models import CallAttempt
from aicall.campaigns.models import Contact
from aicall.webhooks.dispatcher import Dispatcher
from aicall.webhooks.schedule import RetrySchedule
from aicall.webhooks.testing import Reply, WebhookReceiver
from tests.integration.dialer.support import (
    NO_RETRY,
    add_contacts,
    make_dialer,
    prepare_campaign,
    run_until_idle,
)
from tests.integration.webhooks.helpers import BOX, configure

QUICK = RetrySchedule(delays=(0.2, 0.2, 0.2, 0.2, 0.2), jitter=0)


async def test_every_result_reaches_a_receiver_that_fails_at_first(db, tenant, tmp_path):
    failures = {"left": 6}

    def flaky(_request):
        if failures["left"] > 0:
            failures["left"] -= 1
            return Reply(status=500, body=b"not yet")
        return Reply(status=204, body=b"")

    with WebhookReceiver(behaviour=flaky) as receiver:
        secret = configure(db, tenant.application_id, receiver.url)
        # Busy re-called once at once, no other outcome re-called.
        prepare_campaign(db, tenant, retry={**NO_RETRY, "busy": {"max_attempts": 1, "interval": 0}})
        add_contacts(db, tenant, [f"+8498765432{d}" for d in range(10)])
        dialer = make_dialer(db, tmp_path, emit=notify.emit)
        await dialer.router.start()
        await run_until_idle(dialer)
        await dialer.router.close()

        with db.reading() as session:
            attempts = {a.id: a for a in session.scalars(select(CallAttempt))}
            contacts = {c.id: c for c in session.scalars(select(Contact))}
        expected = len(attempts) + len(contacts)  # one per attempt, one per final contact

        dispatcher = Dispatcher(db, BOX, allow_private=True, schedule=QUICK, timeout=5.0)
        stop = asyncio.Event()
        runner = asyncio.create_task(dispatcher.run(stop, idle_delay=0.05))
        try:
            for _ in range(300):  # bounded: 30 s
                ok_ids = {r.webhook_id for r in receiver.received[6:]}
                if len(ok_ids) >= expected:
                    break
                await asyncio.sleep(0.1)
        finally:
            stop.set()
            await runner
            await dispatcher.aclose()
        received = receiver.received

    verifier = Webhook(secret)
    delivered: dict[str, dict] = {}
    for request in received:
        payload = verifier.verify(request.body, request.headers)  # raises if the signature is wrong
        delivered[request.webhook_id] = payload
    # Six deliveries failed with 500; those events (and only those) arrive twice.
    counts = Counter(r.webhook_id for r in received)
    repeated = {wid for wid, n in counts.items() if n > 1}
    assert len(received) == len(delivered) + 6
    assert repeated <= {r.webhook_id for r in received[:6]}

    attempt_events = [p for p in delivered.values() if p["type"] == "call.attempt.finished"]
    contact_events = [p for p in delivered.values() if p["type"] == "contact.finished"]
    assert sorted(p["data"]["attempt"]["id"] for p in attempt_events) == sorted(attempts)
    assert sorted(p["data"]["contact_id"] for p in contact_events) == sorted(contacts)
    for event in attempt_events:
        data = event["data"]
        attempt = attempts[data["attempt"]["id"]]
        assert data["campaign_id"] == tenant.campaign_id
        assert data["phone_number"] == contacts[data["contact_id"]].phone
        assert data["tags"] == {"ho_ten": f"Khách {data['phone_number'][-1]}"}
        assert data["attempt"]["outcome"] == attempt.outcome
        assert data["attempt"]["keys_pressed"] == attempt.keys_pressed
        assert data["attempt"]["sip_code"] == attempt.sip_code
    busy = [e["data"] for e in attempt_events if e["data"]["attempt"]["outcome"] == "busy"]
    assert sorted(d["retry"]["scheduled"] for d in busy) == [False, True]
    pressed_one = [e["data"] for e in attempt_events if e["data"]["phone_number"].endswith("1")]
    assert pressed_one[0]["attempt"]["keys_pressed"] == "1"
    assert [s["action_id"] for s in pressed_one[0]["attempt"]["path"]] == ["menu", "thanks"]
    final = {e["data"]["phone_number"][-1]: e["data"]["status"] for e in contact_events}
    assert final["1"] == "done" and final["8"] == "failed" and final["3"] == "failed"
    assert json.loads(received[-1].body)["type"] in ("call.attempt.finished", "contact.finished")
