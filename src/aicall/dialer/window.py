"""Calling windows: may this campaign dial at this moment?"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from aicall.campaigns.settings import DAY_NAMES, CampaignSettings


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
