"""kill -9 of a dialer mid-call, then a restart: nothing lost, nothing charged twice, nobody
dialled again before their retry time."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from datetime import timedelta

from sqlalchemy import select

from aicall.accounts.models import Account, LedgerEntry
from aicall.calls.models import CallAttempt
from aicall.campaigns import service as campaign_service
from aicall.campaigns.models import Contact
from aicall.db.engine import Database
from aicall.dialer.models import DialerWorker
from aicall.dialer.recovery import LOST_CALL_ERROR
from aicall.webhooks.testing import WebhookReceiver
from tests.acceptance.platform import Demo, wait_until, write_rules
from tests.acceptance.support import clean_env, running

PHONES = ["0912345677", "0912345687", "0912345697"]  # last digit 7: answers and never presses a key


def attempts(db: Database) -> list[CallAttempt]:
    with db.reading() as session:
        return list(session.scalars(select(CallAttempt)))


def test_killed_worker_calls_are_reconciled_once_and_retried_later(tmp_path):
    env = clean_env(
        AICALL_SIM_TIME_SCALE="1",
        AICALL_DIALER_HEARTBEAT="0.3",
        AICALL_DIALER_STALE_AFTER="2",
        AICALL_DIALER_TICK="0.2",
    )
    init = subprocess.run(
        [sys.executable, "-m", "aicall", "init", "--demo", "--json"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert init.returncode == 0, init.stderr
    demo = json.loads(init.stdout)
    db = Database(f"sqlite:///{tmp_path / 'var' / 'aicall.db'}")
    status, body = campaign_service.add_contacts(
        db=db,
        application_id=demo["application_id"],
        payload={
            "campaign_id": demo["campaign_id"],
            "contacts": [{"phone_number": p, "ho_ten": "Lan", "so_tien": "1000"} for p in PHONES],
        },
        idempotency_key=None,
        max_contacts=100,
        region="VN",
    )
    assert status == 200, body
    with db.reading() as session:
        balance_before = session.get(Account, demo["account_id"]).balance

    with running(["worker"], tmp_path, env, "worker1.log") as first:
        wait_until(lambda: len([a for a in attempts(db) if a.status == "in_progress"]) == 3, timeout=30)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        killed_at = time.monotonic()

    live = attempts(db)
    assert all(a.status == "in_progress" for a in live)  # the dead worker could not finish them
    with running(["worker"], tmp_path, env, "worker2.log"):
        wait_until(lambda: all(a.status == "finished" for a in attempts(db)), timeout=30)
        reconciled = attempts(db)
        time.sleep(1.5)  # the new worker keeps dialling; these contacts must not be among them
        later = attempts(db)
    assert time.monotonic() - killed_at < 30
    assert len(reconciled) == 3 and len(later) == 3
    for attempt in reconciled:
        assert attempt.outcome == "failed"
        assert attempt.error == LOST_CALL_ERROR
        assert attempt.cost == 0
    with db.reading() as session:
        account = session.get(Account, demo["account_id"])
        assert account.reserved == 0
        assert account.balance == balance_before  # not charged for calls whose result was lost
        contacts = list(session.scalars(select(Contact).where(Contact.campaign_id == demo["campaign_id"])))
    assert len(contacts) == 3
    for contact in contacts:
        assert contact.status == "retry_wait"
        assert contact.attempts == 1
        attempt = next(a for a in reconciled if a.contact_id == contact.id)
        # The demo scenario re-calls failed calls after 1 minute, counted from the reconciliation.
        assert contact.next_attempt_at >= attempt.ended_at + timedelta(seconds=59)
    db.dispose()


def test_with_two_workers_a_killed_ones_calls_are_reconciled_by_the_other_and_counts_are_exact(tmp_path):
    """Two workers share the campaign; one is killed mid-calls. The survivor finishes its own
    calls normally and closes the dead one's by the crash rule: every contact dialled once,
    the ledger equal to the charged attempts, every event delivered once."""
    phones = [f"09123456{n:02d}" for n in range(10)]
    rules = [{"number": "+84" + p[1:], "ring": 0.1, "keys": [], "hangup_after": 8} for p in phones]
    env = clean_env(
        AICALL_SIM_TIME_SCALE="1",
        AICALL_SIM_RULES=str(write_rules(tmp_path / "phones.json", rules)),
        AICALL_TTS_ENGINE="none",
        AICALL_DIALER_HEARTBEAT="0.3",
        AICALL_DIALER_STALE_AFTER="2",
        AICALL_DIALER_TICK="0.2",
        AICALL_WEBHOOK_ALLOW_PRIVATE="1",
        # Each worker holds at most 5 calls, so the 10 calls are split between the two: the
        # calls-per-second bucket is shared first come, first served, and would let the first
        # worker's pass take all ten.
        AICALL_DIALER_MAX_CALLS="5",
    )
    with WebhookReceiver() as receiver:
        demo = Demo.init(tmp_path, env)
        demo.cli("app", "update", "--app", demo.keys["api_key"], "--webhook-url", receiver.url)
        balance_before = demo.account().balance
        with (
            running(["worker"], tmp_path, env, "worker1.log") as first,
            running(["worker"], tmp_path, env, "worker2.log"),
        ):
            wait_until(lambda: len(workers(demo.db)) == 2, timeout=30, what="both workers up")
            demo.add_contacts(phones)
            wait_until(lambda: len(demo.attempts()) == 10, timeout=30, what="10 calls")
            live = demo.attempts()
            by_worker = {a.worker_id for a in live}
            assert len(by_worker) == 2, "both workers dial (each holds at most 5 calls)"
            killed = workers_by_pid(demo.db)[first.pid]
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=10)
            wait_until(
                lambda: all(a.status == "finished" for a in demo.attempts()), timeout=40, what="all closed"
            )
            time.sleep(1.5)  # the survivor keeps dialling: none of these contacts may come back
            final = demo.attempts()
        dead = [a for a in final if a.worker_id == killed]
        alive = [a for a in final if a.worker_id != killed]
        assert len(final) == 10 and len({a.contact_id for a in final}) == 10  # each dialled once
        assert dead and alive
        for attempt in dead:
            assert (attempt.outcome, attempt.error, attempt.cost) == ("failed", LOST_CALL_ERROR, 0)
        for attempt in alive:
            assert (attempt.outcome, attempt.end_reason) == ("answered", "remote_hangup")
            assert attempt.cost > 0
        contacts = {c.id: c for c in demo.contacts()}
        assert sorted(c.status for c in contacts.values()) == sorted(
            ["retry_wait"] * len(dead) + ["done"] * len(alive)
        )
        assert all(c.attempts == 1 for c in contacts.values())
        account = demo.account()
        charged = sum(a.cost for a in final)
        assert account.reserved == 0
        assert balance_before - account.balance == charged
        with demo.db.reading() as session:
            entries = list(session.scalars(select(LedgerEntry).where(LedgerEntry.kind == "charge")))
        assert sorted(e.attempt_id for e in entries) == sorted(a.id for a in alive)
        assert -sum(e.amount for e in entries) == charged
        # Every attempt's event, and each finished contact's, delivered exactly once.
        expected = len(final) + len(alive)
        received = receiver.wait_for(expected, timeout=30)
        time.sleep(0.5)
        assert len(receiver.received) == expected
        assert len({r.webhook_id for r in received}) == expected
    demo.db.dispose()


def workers(db: Database) -> list[DialerWorker]:
    with db.reading() as session:
        return list(session.scalars(select(DialerWorker)))


def workers_by_pid(db: Database) -> dict[int, str]:
    return {worker.pid: worker.id for worker in workers(db)}
