"""Calling windows: may a campaign dial at this moment, and if not, when may it next?

The dialer asks `is_open` on every pass; `campaigns.waiting` asks `opens_at` and `closed_by` to
tell people when a campaign outside its window will call again, and why. All read the same
settings the same way.

A campaign's window is the intersection of calendars, each read in its own time zone: the
campaign's own (dates, days, hours, and the holidays it excludes), and under the advertising
policy Decree 91/2020/ND-CP Art. 13 cl. 6's hours (08:00-17:00 Vietnam time by default,
`advertising_start`/`advertising_end`). The next opening is found by moving to the next
opening of whichever calendar is closed until all are open at once: each step lands on the
start of an open range, never past the first common moment.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from aicall.campaigns.settings import DAY_NAMES, CampaignSettings, HourRange
from aicall.compliance.holidays import holiday_name

__all__ = ["Closure", "before_start", "closed_by", "effective_window", "is_open", "is_over", "opens_at"]

# How far ahead an opening is looked for: a year of holidays and quiet days, and more.
_LOOK_AHEAD_DAYS = 400
_MAX_STEPS = 2000  # calendars' alternations within the look-ahead; only a window that never opens hits it


class Closure(StrEnum):
    """Which calendar keeps the campaign from dialling now."""

    CAMPAIGN = "campaign"  # its own dates, days or hours
    HOLIDAY = "holiday"  # a public holiday or an extra date it excludes
    ADVERTISING_HOURS = "advertising_hours"  # Decree 91/2020/ND-CP Art. 13 cl. 6


@dataclass(frozen=True, slots=True)
class _Calendar:
    zone: ZoneInfo
    days: frozenset[str]
    hours: tuple[HourRange, ...]
    start_date: date | None = None
    end_date: date | None = None
    closed_day: Callable[[date], str | None] = lambda _day: None  # why a whole day is closed

    def day_open(self, day: date) -> bool:
        if self.start_date and day < self.start_date:
            return False
        if self.end_date and day > self.end_date:
            return False
        return DAY_NAMES[day.weekday()] in self.days and self.closed_day(day) is None

    def is_open(self, now: datetime) -> bool:
        local = now.astimezone(self.zone)
        if not self.day_open(local.date()):
            return False
        moment = local.time().replace(tzinfo=None)
        return any(hours.contains(moment) for hours in self.hours)

    def opens_at(self, now: datetime) -> datetime | None:
        """The first moment at or after `now` this calendar is open; None within the look-ahead."""
        if self.is_open(now):
            return now
        today = now.astimezone(self.zone).date()
        first = max(today, self.start_date) if self.start_date else today
        starts = sorted(hours.start for hours in self.hours)
        for offset in range(_LOOK_AHEAD_DAYS):
            day = first + timedelta(days=offset)
            if self.end_date and day > self.end_date:
                return None
            if not self.day_open(day):
                continue
            for start in starts:
                candidate = datetime.combine(day, start, tzinfo=self.zone)
                if candidate > now:
                    return candidate
        return None


def _quiet_day(settings: CampaignSettings) -> Callable[[date], str | None]:
    """Why the campaign keeps a whole day quiet: a public holiday's name, or its own date."""
    excluded = frozenset(settings.excluded_dates)
    country = settings.exclude_holidays
    if not excluded and not country:
        return lambda _day: None

    def quiet(day: date) -> str | None:
        if day in excluded:
            return "excluded date"
        return holiday_name(country, day) if country else None

    return quiet


def _calendars(settings: CampaignSettings) -> list[tuple[Closure, _Calendar]]:
    own = _Calendar(
        zone=ZoneInfo(settings.timezone),
        days=frozenset(settings.days),
        hours=tuple(settings.hours),
        start_date=settings.start_date,
        end_date=settings.end_date,
        closed_day=_quiet_day(settings),
    )
    calendars = [(Closure.CAMPAIGN, own)]
    if settings.advertising:
        calendars.append(
            (
                Closure.ADVERTISING_HOURS,
                _Calendar(
                    zone=ZoneInfo(settings.advertising_timezone),
                    days=frozenset(DAY_NAMES),
                    hours=(HourRange(start=settings.advertising_start, end=settings.advertising_end),),
                ),
            )
        )
    return calendars


def is_open(settings: CampaignSettings, now: datetime) -> bool:
    """True inside the campaign's dates, days and hours (read in its own time zone), on a day it
    does not exclude, and under the advertising policy inside the advertising hours."""
    return all(calendar.is_open(now) for _kind, calendar in _calendars(settings))


def closed_by(settings: CampaignSettings, now: datetime) -> tuple[Closure, str | None] | None:
    """Why the window is closed now (the first calendar that is, and a detail: the holiday's
    name), or None when it is open."""
    for kind, calendar in _calendars(settings):
        if calendar.is_open(now):
            continue
        local = now.astimezone(calendar.zone).date()
        holiday = calendar.closed_day(local)
        if holiday is not None and calendar.day_open(local) is False and kind is Closure.CAMPAIGN:
            within = (not settings.start_date or local >= settings.start_date) and (
                not settings.end_date or local <= settings.end_date
            )
            if within and DAY_NAMES[local.weekday()] in calendar.days:
                return Closure.HOLIDAY, holiday
        return kind, None
    return None


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
    """The next moment the window opens (every calendar open at once); `now` if it is open,
    None if it never opens again (its end date has passed, or the calendars never meet)."""
    calendars = [calendar for _kind, calendar in _calendars(settings)]
    moment = now
    horizon = now + timedelta(days=_LOOK_AHEAD_DAYS)
    for _ in range(_MAX_STEPS):
        closed = [calendar for calendar in calendars if not calendar.is_open(moment)]
        if not closed:
            return moment
        openings = [calendar.opens_at(moment) for calendar in closed]
        if any(opening is None for opening in openings):
            return None
        moment = max(opening for opening in openings if opening is not None)
        if moment > horizon:
            return None
    return None


def _hhmm(moment: time | None) -> str:
    return "24:00" if moment is None else moment.strftime("%H:%M")


def _intersect(ranges: list[HourRange], start: time, end: time) -> list[dict[str, str]]:
    out = []
    for hours in ranges:
        low = max(hours.start, start)
        high = end if hours.end is None else min(hours.end, end)
        if low < high:
            out.append({"start": _hhmm(low), "end": _hhmm(high)})
    return out


def effective_window(settings: CampaignSettings) -> dict[str, Any]:
    """The window the campaign really dials in, for `GET /campaigns/{id}`: its own, narrowed by
    the advertising hours under that policy (when both are read in one time zone the hours are
    intersected; otherwise both are listed), and the days it excludes."""
    hours = [{"start": _hhmm(h.start), "end": _hhmm(h.end)} for h in settings.hours]
    advertising = None
    if settings.advertising:
        advertising = {
            "start": _hhmm(settings.advertising_start),
            "end": _hhmm(settings.advertising_end),
            "timezone": settings.advertising_timezone,
            "rule": "advertising_hours",
        }
        if ZoneInfo(settings.advertising_timezone) == ZoneInfo(settings.timezone):
            hours = _intersect(list(settings.hours), settings.advertising_start, settings.advertising_end)
    return {
        "timezone": settings.timezone,
        "days": list(settings.days),
        "hours": hours,
        "start_date": settings.start_date.isoformat() if settings.start_date else None,
        "end_date": settings.end_date.isoformat() if settings.end_date else None,
        "policy": settings.policy,
        "advertising_hours": advertising,
        "exclude_holidays": settings.exclude_holidays,
        "excluded_dates": [day.isoformat() for day in settings.excluded_dates],
    }
