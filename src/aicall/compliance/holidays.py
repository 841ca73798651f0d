"""Public holidays a campaign may keep quiet on (`exclude_holidays: "VN"`).

The calendar is the `holidays` package's (pinned in pyproject.toml): Vietnam's public holidays
including the lunar Tết days and the Hùng Kings' Commemoration, and the days off that replace a
holiday falling on a weekend ("observed", "substituted"). Looked up by day, one year's table
built once per process.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import holidays

__all__ = ["holiday_name", "is_supported"]


@lru_cache(maxsize=1)
def _supported() -> frozenset[str]:
    return frozenset(holidays.list_supported_countries())


def is_supported(country: str) -> bool:
    """True when the package knows `country`'s public holidays (ISO 3166-1 alpha-2, `VN`)."""
    return country in _supported()


@lru_cache(maxsize=64)
def _year(country: str, year: int) -> dict[date, str]:
    return dict(holidays.country_holidays(country, years=year).items())


def holiday_name(country: str, day: date) -> str | None:
    """The public holiday `day` is in `country` (its English name), or None."""
    return _year(country, day.year).get(day)
