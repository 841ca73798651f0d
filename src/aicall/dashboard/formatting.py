"""Numbers, money and times the way Vietnamese operators read them.

Vietnamese writes `.` between thousands and `,` before decimals (TCVN 7217 / common usage):
`1.500.000 đ`, `45,3 %`; dates day first, 24-hour clock: `30/11/2026 14:05`. English uses
`1,500,000 ₫`-style grouping with `,` but keeps day-first dates, which are unambiguous here.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

DEFAULT_TIME_ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
EMPTY = "\u2013"  # an en dash stands for "no value" in tables


def number(value: int | float | None, language: str = "vi", decimals: int = 0) -> str:
    """`1500000` -> `1.500.000` (vi) or `1,500,000` (en); None -> an en dash."""
    if value is None:
        return EMPTY
    text = f"{value:,.{decimals}f}"
    if language == "vi":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


def money(value: int | None, language: str = "vi") -> str:
    """Whole đồng: `1500000` -> `1.500.000 đ`."""
    return EMPTY if value is None else f"{number(value, language)} đ"


def percent(value: float | None, language: str = "vi") -> str:
    """A ratio 0..1 as `45,3 %`; None (nothing to divide) -> an en dash."""
    return EMPTY if value is None else f"{number(value * 100, language, 1)} %"


def when(value: datetime | None, time_zone: ZoneInfo = DEFAULT_TIME_ZONE, seconds: bool = False) -> str:
    """`30/11/2026 14:05` in the operator's time zone (Asia/Ho_Chi_Minh unless told)."""
    if value is None:
        return EMPTY
    local = value.astimezone(time_zone)
    return local.strftime("%d/%m/%Y %H:%M:%S" if seconds else "%d/%m/%Y %H:%M")


def duration(seconds: float | None) -> str:
    """`83.4` -> `1:23`; an hour or more -> `1:02:03`."""
    if seconds is None:
        return EMPTY
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
