"""Why a campaign's contacts wait: one pure answer (campaigns.waiting) for API, CLI and dashboard."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from aicall.campaigns import waiting, window
from aicall.campaigns.models import Campaign
from aicall.campaigns.settings import CampaignSettings, HourRange
from aicall.campaigns.waiting import WaitingReason

# 2026-03-02 is a Monday; 02:00 UTC is 09:00 in Asia/Ho_Chi_Minh.
MONDAY_9AM = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
OFFICE = CampaignSettings(
    hours=[HourRange(start=time(8), end=time(17))], days=["mon", "tue", "wed", "thu", "fri"]
)


def _campaign(status: str = "running", pause_reason: str | None = None) -> Campaign:
    return Campaign(
        id="c1", application_id="a1", name="x", status=status, pause_reason=pause_reason, settings={}
    )


def _why(campaign: Campaign, settings: CampaignSettings = OFFICE, *, now: datetime = MONDAY_9AM, **kw: Any):
    values = {"available_balance": 1_000_000, "call_reservation": 5_000, "live_calls": 0, **kw}
    return waiting.for_campaign(campaign=campaign, settings=settings, now=now, **values)


def test_a_running_campaign_inside_its_window_with_room_and_money_is_not_waiting():
    assert _why(_campaign()) is None


def test_outside_the_window_it_says_when_the_window_opens():
    friday_evening = datetime(2026, 3, 6, 12, 0, tzinfo=UTC)  # 19:00 local, Friday
    held = _why(_campaign(), now=friday_evening)
    assert held is not None and held.reason is WaitingReason.OUTSIDE_WINDOW
    assert held.until == datetime(2026, 3, 9, 1, 0, tzinfo=UTC)  # Monday 08:00 local


def test_before_its_start_date_a_campaign_is_scheduled_until_the_first_window():
    settings = OFFICE.model_copy(update={"start_date": date(2026, 3, 4)})
    held = _why(_campaign(), settings)
    assert held is not None and held.reason is WaitingReason.SCHEDULED
    assert held.until == datetime(2026, 3, 4, 1, 0, tzinfo=UTC)


def test_after_its_end_date_the_window_never_opens_again():
    settings = OFFICE.model_copy(update={"end_date": date(2026, 3, 1)})
    held = _why(_campaign(), settings)
    assert held is not None and held.reason is WaitingReason.OUTSIDE_WINDOW and held.until is None


def test_a_balance_below_one_calls_reservation_is_insufficient_balance():
    held = _why(_campaign(), available_balance=4_999)
    assert held is not None and held.reason is WaitingReason.INSUFFICIENT_BALANCE


def test_a_campaign_paused_for_its_balance_says_insufficient_balance_not_paused():
    held = _why(_campaign("paused", "insufficient_balance"))
    assert held is not None and held.reason is WaitingReason.INSUFFICIENT_BALANCE


def test_a_paused_campaign_carries_its_pause_reason_as_detail():
    held = _why(_campaign("paused", "no_trunk:POOL_SYSTEM"))
    assert held == waiting.Waiting(WaitingReason.PAUSED, detail="no_trunk:POOL_SYSTEM")


def test_as_many_calls_in_flight_as_allowed_is_concurrency_full():
    held = _why(_campaign(), live_calls=OFFICE.max_concurrent)
    assert held is not None and held.reason is WaitingReason.CONCURRENCY_FULL


def test_every_live_dialer_at_its_cap_is_dialer_capacity_with_the_counts():
    held = _why(_campaign(), live_dialers=2, dialer_calls=(40, 40))
    assert held == waiting.Waiting(WaitingReason.DIALER_CAPACITY, detail="40 of 40")
    assert _why(_campaign(), live_dialers=2, dialer_calls=(39, 40)) is None
    assert _why(_campaign(), live_dialers=2, dialer_calls=None) is None  # a dialer without a cap


def test_the_campaigns_own_concurrency_and_the_balance_come_before_the_dialers_caps():
    full = _why(_campaign(), live_calls=OFFICE.max_concurrent, live_dialers=1, dialer_calls=(50, 50))
    assert full is not None and full.reason is WaitingReason.CONCURRENCY_FULL
    broke = _why(_campaign(), available_balance=0, live_dialers=1, dialer_calls=(50, 50))
    assert broke is not None and broke.reason is WaitingReason.INSUFFICIENT_BALANCE


def test_draft_is_not_started_and_closed_campaigns_wait_for_nothing():
    assert _why(_campaign("draft")) == waiting.Waiting(WaitingReason.NOT_STARTED)
    assert _why(_campaign("completed")) is None


def test_a_contact_in_retry_wait_waits_until_its_next_attempt():
    later = MONDAY_9AM + timedelta(minutes=30)
    held = waiting.for_contact(status="retry_wait", next_attempt_at=later, campaign=None, now=MONDAY_9AM)
    assert held == waiting.Waiting(WaitingReason.RETRY_WAIT, until=later)


def test_a_contact_due_before_the_window_opens_waits_for_the_window():
    opens = MONDAY_9AM + timedelta(hours=20)
    campaign = waiting.Waiting(WaitingReason.OUTSIDE_WINDOW, until=opens)
    held = waiting.for_contact(
        status="retry_wait",
        next_attempt_at=MONDAY_9AM + timedelta(hours=1),
        campaign=campaign,
        now=MONDAY_9AM,
    )
    assert held == campaign


def test_a_paused_campaign_holds_even_a_contact_with_a_later_retry():
    campaign = waiting.Waiting(WaitingReason.PAUSED, detail="manual")
    later = MONDAY_9AM + timedelta(days=1)
    assert (
        waiting.for_contact(status="retry_wait", next_attempt_at=later, campaign=campaign, now=MONDAY_9AM)
        == campaign
    )


def test_contacts_being_called_or_finished_are_not_waiting():
    for status in ("calling", "done", "failed", "cancelled", "do_not_call"):
        assert waiting.for_contact(status=status, next_attempt_at=None, campaign=None, now=MONDAY_9AM) is None


def test_opens_at_is_now_when_the_window_is_open():
    assert window.opens_at(OFFICE, MONDAY_9AM) == MONDAY_9AM


def test_to_dict_gives_the_api_fields():
    until = datetime(2026, 3, 9, 1, 0, tzinfo=UTC)
    assert waiting.Waiting(WaitingReason.OUTSIDE_WINDOW, until=until).to_dict() == {
        "waiting_reason": "outside_window",
        "waiting_until": "2026-03-09T01:00:00+00:00",
        "waiting_detail": None,
    }


def test_with_no_live_dialer_a_running_campaign_in_its_window_says_no_dialer():
    held = _why(_campaign(), live_dialers=0)
    assert held is not None and held.reason is WaitingReason.NO_DIALER and held.until is None
    assert _why(_campaign(), live_dialers=1) is None


def test_with_no_live_dialer_the_window_and_the_status_still_come_first():
    friday_evening = datetime(2026, 3, 6, 12, 0, tzinfo=UTC)  # 19:00 local: the window says when
    outside = _why(_campaign(), now=friday_evening, live_dialers=0)
    assert outside is not None and outside.reason is WaitingReason.OUTSIDE_WINDOW
    draft = _why(_campaign("draft"), live_dialers=0)
    assert draft is not None and draft.reason is WaitingReason.NOT_STARTED


def test_with_no_live_dialer_a_due_contact_waits_for_one_and_a_later_retry_for_its_time():
    held = _why(_campaign(), live_dialers=0)
    due = waiting.for_contact(status="pending", next_attempt_at=None, campaign=held, now=MONDAY_9AM)
    assert due is not None and due.reason is WaitingReason.NO_DIALER
    later = MONDAY_9AM + timedelta(hours=1)
    retry = waiting.for_contact(status="retry_wait", next_attempt_at=later, campaign=held, now=MONDAY_9AM)
    assert retry is not None and (retry.reason, retry.until) == (WaitingReason.RETRY_WAIT, later)
