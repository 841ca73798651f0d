"""The advertising policy's hours (Decree 91/2020/ND-CP Art. 13 cl. 6) in the calling window,
on plain values: 08:00-17:00 Vietnam time, intersected with the campaign's own window."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from aicall.campaigns import waiting, window
from aicall.campaigns.models import Campaign
from aicall.campaigns.settings import CampaignSettings

VN = ZoneInfo("Asia/Ho_Chi_Minh")
ADVERTISING = CampaignSettings(policy="advertising")


def vn(*args: int) -> datetime:
    return datetime(*args, tzinfo=VN)


def test_a_call_at_0759_waits_until_0800():
    now = vn(2027, 3, 2, 7, 59)
    assert not window.is_open(ADVERTISING, now)
    assert window.opens_at(ADVERTISING, now) == vn(2027, 3, 2, 8, 0)
    assert window.is_open(ADVERTISING, vn(2027, 3, 2, 8, 0))


def test_a_call_at_165959_goes_and_one_at_1700_waits_for_the_next_morning():
    assert window.is_open(ADVERTISING, vn(2027, 3, 2, 16, 59, 59))
    assert not window.is_open(ADVERTISING, vn(2027, 3, 2, 17, 0))
    assert window.opens_at(ADVERTISING, vn(2027, 3, 2, 17, 0)) == vn(2027, 3, 3, 8, 0)


def test_a_service_campaign_keeps_its_own_window():
    service = CampaignSettings()
    assert window.is_open(service, vn(2027, 3, 2, 7, 0)) and window.is_open(service, vn(2027, 3, 2, 21, 0))


def test_the_effective_window_is_the_intersection_and_the_campaign_shows_it():
    settings = CampaignSettings(
        policy="advertising", hours=[{"start": "07:00", "end": "12:00"}, {"start": "13:30"}]
    )
    shown = window.effective_window(settings)
    assert shown["hours"] == [{"start": "08:00", "end": "12:00"}, {"start": "13:30", "end": "17:00"}]
    assert shown["advertising_hours"] == {
        "start": "08:00",
        "end": "17:00",
        "timezone": "Asia/Ho_Chi_Minh",
        "rule": "advertising_hours",
    }
    assert not window.is_open(settings, vn(2027, 3, 2, 12, 30))
    assert window.opens_at(settings, vn(2027, 3, 2, 12, 30)) == vn(2027, 3, 2, 13, 30)


def test_a_window_in_another_zone_meets_the_vietnamese_hours():
    # 09:00-18:00 in Bangkok is 09:00-18:00 in Hanoi too (both UTC+7); in Tokyo (UTC+9) it is
    # 07:00-16:00 Hanoi time: the common hours are 08:00-16:00 Hanoi time.
    tokyo = CampaignSettings(
        policy="advertising", timezone="Asia/Tokyo", hours=[{"start": "09:00", "end": "18:00"}]
    )
    assert window.opens_at(tokyo, vn(2027, 3, 2, 7, 30)) == vn(2027, 3, 2, 8, 0)
    assert window.is_open(tokyo, vn(2027, 3, 2, 15, 59))
    assert not window.is_open(tokyo, vn(2027, 3, 2, 16, 0))
    assert window.opens_at(tokyo, vn(2027, 3, 2, 16, 0)) == vn(2027, 3, 3, 8, 0)


def test_hours_that_never_meet_never_open():
    evening = CampaignSettings(policy="advertising", hours=[{"start": "18:00", "end": "21:00"}])
    assert window.opens_at(evening, vn(2027, 3, 2, 7, 0)) is None


def test_the_hours_are_settings_of_the_policy():
    later = CampaignSettings(policy="advertising", advertising_start="09:30", advertising_end="11:00")
    assert window.opens_at(later, vn(2027, 3, 2, 8, 0)) == vn(2027, 3, 2, 9, 30)


def test_waiting_names_the_advertising_hours_as_the_reason():
    campaign = Campaign(status="running", application_id="a", name="c")
    held = waiting.for_campaign(
        campaign=campaign,
        settings=ADVERTISING,
        now=vn(2027, 3, 2, 17, 0).astimezone(UTC),
        available_balance=10**9,
        call_reservation=0,
        live_calls=0,
    )
    assert held is not None and held.reason is waiting.WaitingReason.OUTSIDE_WINDOW
    assert held.until == vn(2027, 3, 3, 8, 0)
    assert (
        held.detail == "advertising calls 08:00-17:00 Asia/Ho_Chi_Minh (Decree 91/2020/ND-CP, Art. 13, cl. 6)"
    )
