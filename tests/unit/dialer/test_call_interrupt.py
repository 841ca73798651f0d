"""A call task told to stop (a shutdown's grace is over): a ringing dial is abandoned and a live
call hung up, each recorded with the end reason `shutdown` and its real connected time."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from aicall.calls.outcomes import CallOutcome, EndReason
from aicall.campaigns.settings import CampaignSettings
from aicall.dialer.call_task import SHUTDOWN_WHILE_RINGING, place_call
from aicall.dialer.jobs import CallJob
from aicall.dialer.shutdown import HangUp
from aicall.interpreter.prompter import TextPrompter
from aicall.interpreter.script import Action, ActionType, KeyResponse
from aicall.interpreter.testing import script_of
from aicall.telephony.sim import SimBackend, SimRules

# A menu waiting 100 call seconds for a key nobody presses.
MENU = Action(
    id="menu",
    type=ActionType.INTERACTIVE_MENU,
    content_text="Bấm 1.",
    responses=(KeyResponse("1", None),),
    timeout=100,
    max_retries=0,
)
RULES = SimRules.from_dict(
    {
        "rules": [
            {"number": "+84900000001", "ring": 0.1, "keys": []},
            {"number": "+84900000002", "outcome": "no_answer"},
        ]
    }
)
JOB = CallJob(
    attempt_id="a1",
    attempt_number=1,
    contact_id="c1",
    campaign_id="k1",
    application_id="p1",
    account_id="acc1",
    phone="+84900000001",
    tags={},
    hotline="+842873001234",
    trunk=None,
    settings=CampaignSettings(ring_timeout=60, max_duration=300),
    script=script_of(MENU),
    reserved=0,
    price_per_minute=0,
    billing_increment=1,
    charge_unanswered=False,
)


async def until(predicate, timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.005)


async def test_a_live_call_interrupted_is_hung_up_as_shutdown_with_its_connected_time() -> None:
    backend = SimBackend(time_scale=0.01, rules=RULES)  # 100 call seconds are 1 s here
    interrupt = HangUp()
    call = asyncio.create_task(
        place_call(JOB, backend=backend, prompter_for=lambda *_: TextPrompter(), interrupt=interrupt)
    )
    await until(lambda: bool(backend.live))
    await asyncio.sleep(0.1)  # ~10 call seconds into the menu's wait
    interrupt.set()
    result = await asyncio.wait_for(call, timeout=5)

    assert result.outcome is CallOutcome.ANSWERED
    assert result.trace is not None and result.trace.end_reason is EndReason.SHUTDOWN
    assert not backend.live  # hung up
    # Connected until the hang-up, not until the menu's end nor zero.
    assert 0 < result.duration < 100


async def test_a_ringing_call_interrupted_is_abandoned_as_shutdown_and_not_answered() -> None:
    backend = SimBackend(time_scale=0.01, rules=RULES)
    interrupt = HangUp()
    call = asyncio.create_task(
        place_call(
            replace(JOB, phone="+84900000002"),
            backend=backend,
            prompter_for=lambda *_: TextPrompter(),
            interrupt=interrupt,
        )
    )
    await asyncio.sleep(0.05)  # ringing: it would ring for the whole 60 s ring timeout
    interrupt.set()
    result = await asyncio.wait_for(call, timeout=5)

    assert result.outcome is CallOutcome.FAILED
    assert result.end_reason is EndReason.SHUTDOWN
    assert result.error == SHUTDOWN_WHILE_RINGING
    assert result.answered_at is None and result.duration == 0


async def test_a_call_that_ends_by_itself_keeps_its_own_end_reason() -> None:
    backend = SimBackend(time_scale=0, rules=RULES)
    result = await place_call(
        replace(JOB, script=script_of(replace(MENU, timeout=1))),
        backend=backend,
        prompter_for=lambda *_: TextPrompter(),
        interrupt=HangUp(),
    )
    assert result.outcome is CallOutcome.ANSWERED
    assert result.trace is not None and result.trace.end_reason is EndReason.COMPLETED
    assert result.end_reason is None


async def test_a_dial_begun_after_the_hang_up_is_abandoned_at_once() -> None:
    backend = SimBackend(time_scale=0.01, rules=RULES)
    interrupt = HangUp()
    interrupt.set()  # the grace ended while this call was being prepared
    result = await asyncio.wait_for(
        place_call(
            replace(JOB, phone="+84900000002"),
            backend=backend,
            prompter_for=lambda *_: TextPrompter(),
            interrupt=interrupt,
        ),
        timeout=5,
    )
    assert result.outcome is CallOutcome.FAILED
    assert result.end_reason is EndReason.SHUTDOWN
    assert not backend.live
