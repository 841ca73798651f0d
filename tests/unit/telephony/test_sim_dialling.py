"""Dialling virtual phones: the last-digit table, ring times, ring timeout, time scale, volume."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from aicall.calls.outcomes import CallOutcome
from aicall.telephony.session import CallSession, DialRequest, DialResult, TelephonyBackend
from aicall.telephony.sim import PhoneBehaviour, SimBackend, SimCallSession, SimRule, SimRules

T0 = datetime(2026, 5, 4, 8, 30, tzinfo=UTC)


def fixed_clock() -> datetime:
    return T0


async def dial(backend: SimBackend, number: str, *, ring_timeout: float = 30.0) -> DialResult:
    request = DialRequest(
        call_id=f"call-{number}", to_number=number, from_number="+842873001234", ring_timeout=ring_timeout
    )
    return await backend.originate(request)


def instant(rules: SimRules | None = None) -> SimBackend:
    return SimBackend(time_scale=0, rules=rules, clock=fixed_clock)


def test_the_backend_fits_the_telephony_seam() -> None:
    backend: TelephonyBackend = instant()  # mypy checks the protocol here

    assert backend.name == "sim"


@pytest.mark.parametrize(
    ("last_digit", "outcome", "sip_code"),
    [
        ("1", CallOutcome.ANSWERED, 200),
        ("2", CallOutcome.ANSWERED, 200),
        ("3", CallOutcome.BUSY, 486),
        ("4", CallOutcome.NO_ANSWER, 487),
        ("5", CallOutcome.ANSWERED, 200),
        ("6", CallOutcome.REJECTED, 603),
        ("7", CallOutcome.ANSWERED, 200),
        ("8", CallOutcome.INVALID_NUMBER, 404),
        ("9", CallOutcome.ANSWERED, 200),
        ("0", CallOutcome.ANSWERED, 200),
    ],
)
async def test_the_last_digit_decides_the_outcome(
    last_digit: str, outcome: CallOutcome, sip_code: int
) -> None:
    result = await dial(instant(), "+84912345" + "67" + last_digit)

    assert result.outcome is outcome
    assert result.sip_code == sip_code
    assert result.reason
    assert result.started_at == T0
    assert (result.session is not None) == (outcome is CallOutcome.ANSWERED)
    assert (result.answered_at is not None) == (outcome is CallOutcome.ANSWERED)


async def test_an_answered_call_comes_with_a_live_session() -> None:
    result = await dial(instant(), "+84901000001")

    assert isinstance(result.session, CallSession)
    assert isinstance(result.session, SimCallSession)
    assert not result.session.ended
    assert result.session.recording_path is None


async def test_a_person_rings_two_to_four_seconds_the_same_every_time() -> None:
    rings = []
    for number in ["+84901000001", "+84902000001", "+84903000002", "+84904000007", "+84905000009"]:
        first = await dial(instant(), number)
        again = await dial(instant(), number)
        assert first.answered_at is not None and first.started_at is not None
        ring = first.answered_at - first.started_at
        assert again.answered_at is not None and again.answered_at - T0 == ring
        rings.append(ring.total_seconds())

    assert all(2.0 <= ring <= 4.0 for ring in rings)
    assert len(set(rings)) > 1  # deterministic per number, not one constant


async def test_a_phone_that_never_answers_is_cancelled_at_the_ring_timeout() -> None:
    backend = SimBackend(time_scale=0.001, clock=fixed_clock)
    loop = asyncio.get_running_loop()
    began = loop.time()

    result = await dial(backend, "+84901000004", ring_timeout=20.0)

    assert result.outcome is CallOutcome.NO_ANSWER
    assert result.sip_code == 487
    assert "cancelled" in result.reason
    assert loop.time() - began == pytest.approx(0.02, abs=0.05)


async def test_a_phone_that_rings_longer_than_the_ring_timeout_is_no_answer() -> None:
    rules = SimRules([SimRule("number", "+84901000001", PhoneBehaviour(ring=12.0, keys=("1",)))])

    patient = await dial(instant(rules), "+84901000001", ring_timeout=15.0)
    hasty = await dial(instant(rules), "+84901000001", ring_timeout=10.0)

    assert patient.outcome is CallOutcome.ANSWERED
    assert patient.answered_at == T0 + timedelta(seconds=12)
    assert hasty.outcome is CallOutcome.NO_ANSWER
    assert hasty.sip_code == 487
    assert hasty.session is None


async def test_a_network_that_gives_up_first_answers_480() -> None:
    rules = SimRules([SimRule("suffix", "4", PhoneBehaviour(outcome=CallOutcome.NO_ANSWER, ring=25.0))])

    result = await dial(instant(rules), "+84901000004", ring_timeout=30.0)

    assert (result.outcome, result.sip_code, result.reason) == (
        CallOutcome.NO_ANSWER,
        480,
        "Temporarily Unavailable",
    )


async def test_time_scale_shrinks_real_waits_but_not_the_call_timeline() -> None:
    rules = SimRules([SimRule("number", "+84901000001", PhoneBehaviour(ring=4.0))])
    backend = SimBackend(time_scale=0.01, rules=rules, clock=fixed_clock)
    loop = asyncio.get_running_loop()
    began = loop.time()

    result = await dial(backend, "+84901000001")

    took = loop.time() - began
    assert 0.035 <= took < 0.5  # 4 s x 0.01, with room for a slow machine
    assert result.answered_at == T0 + timedelta(seconds=4)


async def test_scale_one_waits_in_real_time() -> None:
    rules = SimRules([SimRule("number", "+84901000001", PhoneBehaviour(ring=0.2))])
    loop = asyncio.get_running_loop()
    began = loop.time()

    await dial(SimBackend(time_scale=1.0, rules=rules), "+84901000001")

    assert loop.time() - began >= 0.19


@pytest.mark.parametrize("scale", [-1.0, float("nan"), float("inf")])
def test_a_nonsense_time_scale_is_refused(scale: float) -> None:
    with pytest.raises(ValueError, match="time_scale"):
        SimBackend(time_scale=scale)


async def test_a_thousand_concurrent_calls_at_scale_zero_complete() -> None:
    backend = instant()
    numbers = [f"+849{index:08d}" for index in range(1000)]

    results = await asyncio.wait_for(asyncio.gather(*(dial(backend, number) for number in numbers)), 30)

    outcomes = [result.outcome for result in results]
    assert outcomes.count(CallOutcome.ANSWERED) == 600  # last digits 0, 1, 2, 5, 7, 9
    assert outcomes.count(CallOutcome.BUSY) == 100
    assert outcomes.count(CallOutcome.NO_ANSWER) == 100
    assert len(backend.live) == 600
    await backend.close()
    assert backend.live == set()
    assert all(result.session.ended for result in results if result.session is not None)
