"""Four dispatchers on one PostgreSQL outbox while contacts' events keep arriving (stress.py):
every event delivered, answered 2xx once, one successful send logged, each contact's events in
order; and the same while their database connections are killed mid-transaction.

A few seconds each; bounded (the harness waits at most `settle_within` for the outbox to
empty). What a 4-worker scale-out run (bench/bench_scale.py) checks at the end, on the store and
the delivery loop alone, with far more transactions meeting per second."""

from __future__ import annotations

import pytest

from aicall.db.engine import Database
from tests.integration.webhooks.helpers import Hooked
from tests.integration.webhooks.stress import Report, run_stress


def _assert_exact(report: Report) -> None:
    assert report.settled, report.summary()
    assert not report.not_delivered, report.summary()
    assert not report.sent_ok_not_once, report.summary()  # never sent again after a 2xx
    assert not report.logged_ok_not_once, report.summary()
    assert not report.out_of_order, report.summary()


@pytest.fixture
def postgres(db: Database) -> Database:
    if db.dialect != "postgresql":
        pytest.skip("several processes' claims meet on PostgreSQL (SKIP LOCKED); SQLite has one writer")
    return db


def test_four_dispatchers_deliver_each_event_once_in_order_while_events_arrive(
    postgres: Database, hooked: Hooked
) -> None:
    # 500 contacts: 2.4 events each, dialled 1-3 times, every 13th send answered 500 (a
    # back-off, the contact's later events handed back behind it).
    report = run_stress(postgres, hooked.application_id, contacts=500, fail_every=13)
    _assert_exact(report)
    assert len(report.events) == 1200
    assert not report.failures, [record.getMessage() for record in report.failures]
    assert report.lost_leases == 0  # no claim ran out: nothing was left unrecorded


def test_results_are_not_lost_when_the_dispatchers_connections_are_killed(
    postgres: Database, hooked: Hooked
) -> None:
    # A dispatcher backend killed every ~50 ms: records, claims and commits fail at random.
    # A result whose transaction failed is written on the next try, not dropped to go out
    # again at the end of its lease (before: ~60 of 900 events answered 2xx twice).
    report = run_stress(postgres, hooked.application_id, contacts=300, fail_every=17, kill_every=5)
    _assert_exact(report)
    assert report.killed > 0 and report.failures, report.summary()  # the failures did happen
