"""PostgreSQL restarted in the middle of a campaign (issue 13): the worker reconnects by itself,
stores the results of the calls that ended while the server was down, and dials the rest;
nothing lost, nothing dialled twice, the ledger exact, every event delivered. On a server of the
test's own (tests/acceptance/postgres.py): the shared one is never restarted."""

from __future__ import annotations

import time

from sqlalchemy import select

from aicall.accounts.models import LedgerEntry
from aicall.webhooks.testing import WebhookReceiver
from tests.acceptance.platform import Demo, wait_until, write_rules
from tests.acceptance.postgres import dedicated_postgres
from tests.acceptance.support import clean_env, running

PHONES = [f"+8491234{n:04d}" for n in range(20)]
RULES = [{"number": p, "ring": 0.1, "keys": [], "hangup_after": 3} for p in PHONES]


def test_a_postgresql_restart_mid_campaign_loses_nothing_and_dials_nobody_twice(tmp_path):
    with dedicated_postgres() as server, WebhookReceiver() as receiver:
        env = clean_env(
            AICALL_DATABASE_URL=server.url,
            AICALL_SIM_TIME_SCALE="1",
            AICALL_SIM_RULES=str(write_rules(tmp_path / "phones.json", RULES)),
            AICALL_TTS_ENGINE="none",
            AICALL_DIALER_TICK="0.2",
            AICALL_DIALER_HEARTBEAT="0.5",
            AICALL_DIALER_STALE_AFTER="5",
            AICALL_WEBHOOK_ALLOW_PRIVATE="1",
        )
        demo = Demo.init(tmp_path, env)
        demo.cli("app", "update", "--app", demo.keys["api_key"], "--webhook-url", receiver.url)
        balance = demo.account().balance
        with running(["worker"], tmp_path, env, "worker.log"):
            demo.add_contacts(PHONES)
            # Some calls live (3 s each, 10 started a second): the server goes away under them.
            wait_until(lambda: len(demo.attempts()) >= 10, timeout=30, what="calls started")
            demo.db.dispose()  # our own connections are the server's to drop
            server.stop("fast")
            time.sleep(3.0)  # down for a while: live calls end, their results cannot be stored
            server.start()
            wait_until(
                lambda: len(demo.attempts()) == 20 and all(a.status == "finished" for a in demo.attempts()),
                timeout=90,
                what="every contact called and stored",
            )
            received = receiver.wait_for(40, timeout=60)
            time.sleep(1.0)  # nothing more may come
            assert len(demo.attempts()) == 20
        log = (tmp_path / "worker.log").read_text()

        attempts = demo.attempts()
        contacts = demo.contacts()
        assert len(contacts) == 20
        assert sorted(a.contact_id for a in attempts) == sorted(c.id for c in contacts)  # once each
        assert all(a.outcome == "answered" and a.error is None for a in attempts), [
            (a.outcome, a.error) for a in attempts
        ]
        assert all(c.status == "done" and c.attempts == 1 for c in contacts)
        account = demo.account()
        assert account.reserved == 0
        charged = sum(a.cost for a in attempts)
        assert balance - account.balance == charged > 0
        with demo.db.reading() as session:
            entries = list(session.scalars(select(LedgerEntry).where(LedgerEntry.kind == "charge")))
        assert sorted(e.attempt_id for e in entries) == sorted(a.id for a in attempts)
        # 20 call.attempt.finished + 20 contact.finished, each at least once, none invented.
        ids = {r.webhook_id for r in received}
        assert len(ids) == 40 and len(receiver.received) >= 40
        assert "database unavailable" in log and "database available again" in log
        demo.db.dispose()
