"""Login throttling slows guessing without locking a user out from everywhere."""

from aicall.dashboard.throttle import LoginThrottle


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_sixth_wrong_password_for_an_email_waits_for_the_window() -> None:
    clock = Clock()
    throttle = LoginThrottle(max_per_email=5, window=900, clock=clock)
    for _ in range(5):
        assert throttle.blocked_for("a@b.vn", "10.0.0.1") == 0
        throttle.failed("a@b.vn", "10.0.0.1")
    assert throttle.blocked_for("A@B.vn", "10.0.0.1") == 900
    clock.now += 901
    assert throttle.blocked_for("a@b.vn", "10.0.0.1") == 0


def test_another_address_may_still_sign_in_to_the_same_email() -> None:
    throttle = LoginThrottle(max_per_email=2, clock=Clock())
    throttle.failed("a@b.vn", "10.0.0.1")
    throttle.failed("a@b.vn", "10.0.0.1")
    assert throttle.blocked_for("a@b.vn", "10.0.0.1") > 0
    assert throttle.blocked_for("a@b.vn", "10.0.0.2") == 0


def test_one_address_spraying_many_emails_is_slowed() -> None:
    throttle = LoginThrottle(max_per_address=3, clock=Clock())
    for n in range(3):
        throttle.failed(f"user{n}@b.vn", "10.0.0.9")
    assert throttle.blocked_for("new@b.vn", "10.0.0.9") > 0


def test_a_right_password_clears_the_count_for_that_email() -> None:
    throttle = LoginThrottle(max_per_email=2, clock=Clock())
    throttle.failed("a@b.vn", "10.0.0.1")
    throttle.succeeded("a@b.vn", "10.0.0.1")
    throttle.failed("a@b.vn", "10.0.0.1")
    assert throttle.blocked_for("a@b.vn", "10.0.0.1") == 0
