"""The per-application request limit: a burst, then the steady rate; other applications unaffected."""

import pytest

from aicall.errors import RateLimited
from aicall.web.rate_limit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_burst_then_refused_then_refilled_at_the_rate():
    clock = Clock()
    limiter = RateLimiter(rate=10, burst=20, clock=clock)
    for _ in range(20):
        limiter.check("app-a")
    with pytest.raises(RateLimited):
        limiter.check("app-a")
    limiter.check("app-b")  # another application has its own allowance
    clock.now += 0.1  # one token back at 10 per second
    limiter.check("app-a")
    with pytest.raises(RateLimited):
        limiter.check("app-a")


def test_zero_rate_turns_the_limit_off():
    limiter = RateLimiter(rate=0, burst=1)
    for _ in range(1000):
        limiter.check("app")
