"""The campaign page's read model on SQLite and PostgreSQL: counts, cost, the queue, the chart of
calls over time, and a contact's attempts told as a timeline."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert

from aicall.calls.models import CallAttempt
from aicall.campaigns import activity, board, contact_detail, overview
from aicall.campaigns.models import Campaign, Contact
from aicall.db.engine import Database
from aicall.ids import object_id
from tests.integration.support import Tenant

NOW = datetime(2026, 11, 30, 8, 10, tzinfo=UTC)


def contact(db: Database, tenant: Tenant, phone: str, **values: Any) -> str:
    row = {
        "id": str(uuid.uuid4()),
        "campaign_id": tenant.campaign_id,
        "application_id": tenant.application_id,
        "phone": phone,
        "dedupe_key": phone,
        "tags": {"ho_ten": "An"},
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": NOW - timedelta(minutes=1),
        "created_at": NOW - timedelta(minutes=10),
        "updated_at": NOW,
        **values,
    }
    with db.transaction() as session:
        session.execute(insert(Contact), [row])
    return str(row["id"])


def attempt(db: Database, tenant: Tenant, contact_id: str, claimed_at: datetime, **values: Any) -> str:
    row = {
        "id": object_id(),
        "contact_id": contact_id,
        "campaign_id": tenant.campaign_id,
        "account_id": tenant.account_id,
        "number": 1,
        "status": "finished",
        "worker_id": "w1",
        "lease_until": claimed_at + timedelta(minutes=10),
        "claimed_at": claimed_at,
        "started_at": claimed_at,
        "ended_at": claimed_at + timedelta(seconds=20),
        "outcome": "answered",
        "cost": 1000,
        **values,
    }
    with db.transaction() as session:
        session.execute(insert(CallAttempt), [row])
    return str(row["id"])


def test_summary_counts_contacts_by_status_and_calls_by_outcome_with_their_cost(
    db: Database, tenant: Tenant
) -> None:
    a = contact(db, tenant, "+84981000001", status="done")
    b = contact(db, tenant, "+84981000002", status="retry_wait", next_attempt_at=NOW + timedelta(minutes=30))
    c = contact(db, tenant, "+84981000003", status="calling")
    contact(db, tenant, "+84981000004")
    attempt(db, tenant, a, NOW - timedelta(minutes=5), cost=1200)
    attempt(db, tenant, b, NOW - timedelta(minutes=4), outcome="busy", cost=0)
    attempt(db, tenant, c, NOW - timedelta(seconds=5), status="in_progress", outcome=None, cost=0)
    with db.reading() as session:
        summary = overview.summary(session, campaign_id=tenant.campaign_id)
        queue = overview.queue(session, campaign_id=tenant.campaign_id, now=NOW)
    assert summary.by_status == {"done": 1, "retry_wait": 1, "calling": 1, "pending": 1}
    assert summary.by_outcome == {"answered": 1, "busy": 1}
    assert (summary.in_progress, summary.cost, summary.contacts, summary.finished) == (1, 1200, 4, 1)
    assert summary.answer_rate == 1.0
    assert summary.attempt_answer_rate == 0.5
    assert (queue.due_now, queue.later) == (1, 1)
    assert queue.first_later == NOW + timedelta(minutes=30)


def test_the_chart_counts_calls_per_bucket_from_the_first_dial(db: Database, tenant: Tenant) -> None:
    ids = [contact(db, tenant, f"+8498100001{n}") for n in range(4)]
    attempt(db, tenant, ids[0], NOW - timedelta(minutes=9, seconds=55))
    attempt(db, tenant, ids[1], NOW - timedelta(minutes=9, seconds=50), outcome="busy")
    attempt(db, tenant, ids[2], NOW - timedelta(minutes=2))
    attempt(db, tenant, ids[3], NOW - timedelta(seconds=3), status="in_progress", outcome=None)
    with db.reading() as session:
        chart = activity.calls_over_time(session, campaign_id=tenant.campaign_id, now=NOW)
    assert chart.size == 30  # ten minutes in at most 60 bars
    assert chart.buckets[0].start == datetime(2026, 11, 30, 8, 0, 0, tzinfo=UTC)
    assert (chart.buckets[0].answered, chart.buckets[0].unanswered) == (1, 1)
    assert sum(b.total for b in chart.buckets) == 4
    assert chart.buckets[-2].live == 1  # 08:09:57, in the bar of 08:09:30; the last bar is 08:10:00
    assert chart.peak == 2
    assert len(chart.buckets) == 21  # 08:00:00 .. 08:10:00, every 30 s


def test_a_campaign_without_calls_has_an_empty_chart(db: Database, tenant: Tenant) -> None:
    with db.reading() as session:
        chart = activity.calls_over_time(session, campaign_id=tenant.campaign_id, now=NOW)
    assert chart.buckets == [] and chart.peak == 0


def test_the_board_says_a_draft_waits_to_be_started(db: Database, tenant: Tenant) -> None:
    contact(db, tenant, "+84981000001")
    with db.reading() as session:
        campaign = session.get(Campaign, tenant.campaign_id)
        assert campaign is not None
        view = board.load(session, campaign=campaign, now=NOW)
    assert view.waiting is not None and view.waiting.reason == "not_started"
    assert view.settings is not None and view.settings.max_concurrent == 10
    assert view.queue.due_now == 1


def test_an_answered_attempt_reads_as_dialled_ringing_answered_prompts_keys_hangup(
    db: Database, tenant: Tenant
) -> None:
    contact_id = contact(db, tenant, "+84981000001", status="done")
    path = [
        {
            "action_id": "m",
            "label": "start",
            "type": "INTERACTIVE_MENU",
            "text": "Xin chào An, bấm 1.",
            "keys": None,
            "result": "no_input",
            "at": "2026-11-30T08:00:05+00:00",
            "repeat": 0,
        },
        {
            "action_id": "m",
            "label": "start",
            "type": "INTERACTIVE_MENU",
            "text": "Xin chào An, bấm 1.",
            "keys": "1",
            "result": "matched",
            "at": "2026-11-30T08:00:12+00:00",
            "repeat": 1,
            "interrupted": True,
        },
        {
            "action_id": "t",
            "label": "cảm ơn",
            "type": "END_CALL",
            "text": "Cảm ơn.",
            "keys": None,
            "result": "hangup",
            "at": "2026-11-30T08:00:15+00:00",
            "repeat": 0,
        },
    ]
    start = datetime(2026, 11, 30, 8, 0, 0, tzinfo=UTC)
    attempt(
        db,
        tenant,
        contact_id,
        start,
        answered_at=start + timedelta(seconds=4),
        ended_at=start + timedelta(seconds=17),
        end_reason="completed",
        hotline="02899990000",
        keys_pressed="1",
        path=path,
    )
    with db.reading() as session:
        [stored] = contact_detail.attempts_of(session, contact_id=contact_id)
    steps = contact_detail.timeline(stored)
    assert [s.kind for s in steps] == [
        "dialled",
        "ringing",
        "answered",
        "prompt",
        "no_input",
        "prompt",
        "keys",
        "prompt",
        "hangup",
    ]
    assert steps[0].detail == "02899990000"
    assert steps[1].seconds == 4
    assert steps[5].detail == "1" and steps[5].keys == "interrupted"
    assert steps[6].keys == "1"
    assert steps[-1].detail == "completed"
    assert contact_detail.path_labels(stored) == ["start", "start", "cảm ơn"]


def test_a_busy_attempt_reads_as_dialled_then_busy_with_its_sip_answer(db: Database, tenant: Tenant) -> None:
    contact_id = contact(db, tenant, "+84981000003", status="retry_wait")
    attempt(
        db, tenant, contact_id, NOW, outcome="busy", sip_code=486, sip_reason="Busy Here", answered_at=None
    )
    with db.reading() as session:
        [stored] = contact_detail.attempts_of(session, contact_id=contact_id)
    steps = contact_detail.timeline(stored)
    assert [s.kind for s in steps] == ["dialled", "not_answered"]
    assert (steps[1].label, steps[1].detail) == ("busy", "486 Busy Here")


def test_a_callee_who_hangs_up_during_a_prompt_reads_as_such(db: Database, tenant: Tenant) -> None:
    contact_id = contact(db, tenant, "+84981000005", status="done")
    start = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    step = {
        "action_id": "m",
        "label": "start",
        "type": "INTERACTIVE_MENU",
        "text": "Xin chào An.",
        "keys": None,
        "result": "ended",
        "at": "2026-11-30T08:00:05+00:00",
        "repeat": 0,
    }
    attempt(
        db,
        tenant,
        contact_id,
        start,
        answered_at=start + timedelta(seconds=3),
        end_reason="remote_hangup",
        path=[step],
    )
    with db.reading() as session:
        [stored] = contact_detail.attempts_of(session, contact_id=contact_id)
    kinds = [s.kind for s in contact_detail.timeline(stored)]
    assert kinds == ["dialled", "ringing", "answered", "prompt", "callee_hangup", "hangup"]
