"""`after_attempt`: the one rule both outbox stores apply to an event after an attempt."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from standardwebhooks import Webhook

from aicall.webhooks.delivery import Job, Outcome, after_attempt
from aicall.webhooks.models import EventStatus
from aicall.webhooks.schedule import RetrySchedule

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
SCHEDULE = RetrySchedule(delays=(5, 30), jitter=0)
SIGNER = Webhook("whsec_" + "A" * 32)


def _outcome(attempt: int, succeeded: bool) -> Outcome:
    job = Job("evt", "app", "scenario.approved", attempt, "https://x.test/hook", "{}", SIGNER, "token")
    return Outcome(job, NOW, succeeded, 200 if succeeded else 500, 3, None if succeeded else "HTTP 500", None)


def test_a_success_is_delivered_now_with_nothing_more_due():
    state = after_attempt(_outcome(1, succeeded=True), SCHEDULE, NOW)
    assert (state.status, state.next_attempt_at, state.delivered_at) == (EventStatus.DELIVERED, None, NOW)


def test_a_failure_is_due_again_after_the_schedules_delay_for_that_attempt():
    first = after_attempt(_outcome(1, succeeded=False), SCHEDULE, NOW)
    second = after_attempt(_outcome(2, succeeded=False), SCHEDULE, NOW)
    assert (first.status, first.next_attempt_at) == (EventStatus.PENDING, NOW + timedelta(seconds=5))
    assert (second.status, second.next_attempt_at) == (EventStatus.PENDING, NOW + timedelta(seconds=30))
    assert first.delivered_at is None


def test_a_failure_of_the_last_attempt_fails_the_event():
    state = after_attempt(_outcome(SCHEDULE.max_attempts, succeeded=False), SCHEDULE, NOW)
    assert (state.status, state.next_attempt_at, state.delivered_at) == (EventStatus.FAILED, None, None)
