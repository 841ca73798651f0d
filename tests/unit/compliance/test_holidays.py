"""Quiet days in the calling window: Vietnam's public holidays (the `holidays` package) and a
campaign's own dates. Tested on Tết 2027 and on days a holiday moves to."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from aicall.campaigns import waiting, window
from aicall.campaigns.models import Campaign
from aicall.campaigns.settings import CampaignSettings
from aicall.compliance.holidays import holiday_name

VN = ZoneInfo("Asia/Ho_Chi_Minh")
QUIET_ON_HOLIDAYS = CampaignSettings(exclude_holidays="vn")


def vn(*args: int) -> datetime:
    return datetime(*args, tzinfo=VN)


def test_tet_2027_is_quiet_from_its_eve_to_its_fifth_day():
    # Tết Đinh Mùi: the lunar new year falls on Saturday 2027-02-06; the public holiday runs
    # from 2027-02-04 (29th of the last lunar month) to 2027-02-10.
    for day in range(4, 11):
        assert not window.is_open(QUIET_ON_HOLIDAYS, vn(2027, 2, day, 10, 0)), day
    assert window.is_open(QUIET_ON_HOLIDAYS, vn(2027, 2, 3, 23, 59))
    assert window.opens_at(QUIET_ON_HOLIDAYS, vn(2027, 2, 4, 9, 0)) == vn(2027, 2, 11, 0, 0)
    assert holiday_name("VN", date(2027, 2, 6)) == "Lunar New Year"


def test_an_advertising_campaign_after_tet_calls_at_0800():
    settings = CampaignSettings(exclude_holidays="VN", policy="advertising")
    assert window.opens_at(settings, vn(2027, 2, 8, 12, 0)) == vn(2027, 2, 11, 8, 0)


def test_a_holiday_that_falls_on_a_weekend_moves_to_the_monday():
    # 2027-05-01 (Labour Day) is a Saturday: the day off is Monday 2027-05-03.
    assert holiday_name("VN", date(2027, 5, 3)) == "International Labor Day (observed)"
    assert not window.is_open(QUIET_ON_HOLIDAYS, vn(2027, 5, 3, 10, 0))
    weekdays = CampaignSettings(exclude_holidays="VN", days=["mon", "tue", "wed", "thu", "fri"])
    assert window.opens_at(weekdays, vn(2027, 4, 30, 10, 0)) == vn(2027, 5, 4, 0, 0)  # 30 April too
    # 2026-04-26 (Hùng Kings) is a Sunday: Monday 2026-04-27 is off too.
    assert not window.is_open(QUIET_ON_HOLIDAYS, vn(2026, 4, 27, 10, 0))
    assert window.is_open(CampaignSettings(), vn(2026, 4, 27, 10, 0))  # not excluded: calls


def test_a_campaigns_own_dates_are_quiet_too():
    settings = CampaignSettings(excluded_dates=["2027-03-08"])
    assert not window.is_open(settings, vn(2027, 3, 8, 10, 0))
    assert window.opens_at(settings, vn(2027, 3, 8, 10, 0)) == vn(2027, 3, 9, 0, 0)
    shown = window.effective_window(settings)
    assert shown["excluded_dates"] == ["2027-03-08"] and shown["exclude_holidays"] is None


def test_waiting_says_which_holiday_and_until_when():
    campaign = Campaign(status="running", application_id="a", name="c")
    held = waiting.for_campaign(
        campaign=campaign,
        settings=QUIET_ON_HOLIDAYS,
        now=vn(2027, 2, 6, 10, 0).astimezone(UTC),
        available_balance=10**9,
        call_reservation=0,
        live_calls=0,
    )
    assert held is not None and held.reason is waiting.WaitingReason.HOLIDAY
    assert held.detail == "Lunar New Year" and held.until == vn(2027, 2, 11, 0, 0)


def test_an_unknown_country_is_refused():
    with pytest.raises(ValidationError, match="no public holidays known for 'XX'"):
        CampaignSettings(exclude_holidays="XX")
