"""Prices: what a call costs, and the most it could cost (reserved before dialling)."""

from __future__ import annotations

import math


def billable_seconds(duration: float, increment: int) -> int:
    """Connected seconds rounded up to the billing increment (6 s, 60 s...)."""
    if duration <= 0:
        return 0
    step = max(1, increment)
    return math.ceil(duration / step) * step


def cost(billable: int, price_per_minute: int) -> int:
    """Whole đồng, rounded up."""
    return math.ceil(billable * price_per_minute / 60)


def worst_case(max_duration: float, *, increment: int, price_per_minute: int) -> int:
    """The reservation for one call: the longest call it may become."""
    return cost(billable_seconds(max_duration, increment), price_per_minute)
