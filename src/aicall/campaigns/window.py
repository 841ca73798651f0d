"""Calling windows: may a campaign dial at this moment, and if not, when may it next?

The dialer asks `is_open` on every pass; `campaigns.waiting` asks `opens_at` to tell people
when a campaign outside its window will call again. Both read the same settings the same way.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from aicall.campaigns.settings import DAY_NAMES, CampaignSettings

__all__ = ["before_start", "is_open", "is_over", "opens_at"]

# Every weekday comes round within 7 days; one more covers a range that starts later today.
_LOOK_AHEAD_DAYS = 8


def is_open(settings: CampaignSettings, now: datetime) -> bool:
    """True inside the campaign's dates, days and hours, read in its own time zone."""
    local = now.astimezone(ZoneInfo(settings.timezone))
    if settings.start_date and local.date() < settings.start_date:
        return False
    if settings.end_date and local.date() > settings.end_date:
        return False
    if DAY_NAMES[local.weekday()] not in settings.days:
        return False
    moment = local.time().replace(tzinfo=None)
    return any(hours.contains(moment) for hours in settings.hours)


def is_over(settings: CampaignSettings, now: datetime) -> bool:
    """True once the campaign's end date has passed: nothing will ever be dialled again."""
    if settings.end_date is None:
        return False
    return now.astimezone(ZoneInfo(settings.timezone)).date() > settings.end_date


def before_start(settings: CampaignSettings, now: datetime) -> bool:
    """True before the campaign's start date (in its time zone)."""
    if settings.start_date is None:
        return False
    return now.astimezone(ZoneInfo(settings.timezone)).date() < settings.start_date


def opens_at(settings: CampaignSettings, now: datetime) -> datetime | None:
    """The next moment (in the campaign's time zone) the window opens; `now` if it is open, None
    if it never opens again (its end date has passed)."""
    if is_open(settings, now):
        return now
    zone = ZoneInfo(settings.timezone)
    today = now.astimezone(zone).date()
    first = max(today, settings.start_date) if settings.start_date else today
    starts = sorted(hours.start for hours in settings.hours)
    for offset in range(_LOOK_AHEAD_DAYS):
        day = first + timedelta(days=offset)
        if settings.end_date and day > settings.end_date:
            return None
        if DAY_NAMES[day.weekday()] not in settings.days:
            continue
        for start in starts:
            candidate = datetime.combine(day, start, tzinfo=zone)
            if candidate > now:
                return candidate
    return None
