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

from aicall.accounts.models import Account
from aicall.calls.models import CallAttempt
from aicall.campaigns import service as campaign_service
from aicall.campaigns.models import Contact
from aicall.db.engine import Database
from aicall.dialer.recovery import LOST_CALL_ERROR
from tests.acceptance.support import clean_env, running

PHONES = ["0912345677", "0912345687", "0912345697"]  # last digit 7: answers and never presses a key


def attempts(db: Database) -> list[CallAttempt]:
    with db.reading() as session:
        return list(session.scalars(select(CallAttempt)))


def wait_until(predicate, timeout: float, step: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError("condition not met in time")


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
