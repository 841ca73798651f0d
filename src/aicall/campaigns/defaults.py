"""Call defaults: how a campaign dials when neither it nor its scenario says otherwise.

The one place these values are written (ARCHITECTURE's owners table). A new scenario stores
`scenario_call_config()` as its `call_config` (CONTRACT §3); `campaigns.settings` builds its
defaults from the same constants; docs/campaigns.md, docs/scenarios.md and README quote them,
and `tests/unit/campaigns/test_call_defaults.py` holds the quotes to these values.

Re-calls: busy, failed and no answer are re-called twice, 30 minutes apart; voicemail is not.
A second copy once said busy 2 x 600 s and failed 1 x 600 s. The contract's `re_call` is one
`times` and one `delay` (minutes) for every outcome it flags, and `GET /scenarios/{id}` shows
it to the customer, so a campaign that overrides nothing must re-call every flagged outcome
as that `re_call` says: per-outcome intervals are our extension (CONTRACT §4), set by a
campaign that wants them, never a default the customer cannot see.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import time
from types import MappingProxyType
from typing import Any, Final

__all__ = [
    "ADVERTISING_END",
    "ADVERTISING_INTERVAL",
    "ADVERTISING_START",
    "ADVERTISING_TIMEZONE",
    "ALLOW_DUPLICATE_PHONE",
    "AMD",
    "AMD_MODE",
    "CALLS_PER_SECOND",
    "CALL_ROUTING",
    "COMPLETE_WHEN_DONE",
    "DAYS",
    "EXCLUDE_HOLIDAYS",
    "HOURS",
    "MAX_CONCURRENT",
    "MAX_DURATION",
    "POLICY",
    "POOL_HOTLINE_KEY",
    "QUIET_PERIOD",
    "RECORD",
    "RE_CALL",
    "RE_CALL_DELAY_MINUTES",
    "RE_CALL_TIMES",
    "RING_TIMEOUT",
    "TIMEZONE",
    "VOICEMAIL_ACTION",
    "VOICEMAIL_MESSAGE_WAIT",
    "scenario_call_config",
]

# Calling window: every day, all day, in Vietnam's time zone.
TIMEZONE: Final = "Asia/Ho_Chi_Minh"
DAYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HOURS: Final[tuple[tuple[time, time | None], ...]] = ((time(0, 0), None),)  # (start, end); None: midnight
EXCLUDE_HOLIDAYS: Final[str | None] = None  # a country's public holidays kept quiet ("VN"); None: none

# Call policy (issue 14): `service` (reminders, confirmations: the campaign's own window) or
# `advertising`, held to Decree 91/2020/ND-CP Art. 13 whatever the campaign's window says:
# calls only 08:00-17:00 Vietnam time (cl. 6) and at most one advertising call per number in
# 24 hours across the account (cl. 5). The numbers are settings, so a change in the law is a
# change of these values, not of code.
POLICY: Final = "service"
ADVERTISING_TIMEZONE: Final = "Asia/Ho_Chi_Minh"
ADVERTISING_START: Final = time(8, 0)
ADVERTISING_END: Final = time(17, 0)
ADVERTISING_INTERVAL: Final = 24 * 3600  # seconds from one advertising call's start to the next

# Limits.
MAX_CONCURRENT: Final = 10  # calls of one campaign at once
CALLS_PER_SECOND: Final = 5.0  # new calls per second, per campaign
RING_TIMEOUT: Final = 30.0  # seconds of ringing before a CANCEL (no_answer)
MAX_DURATION: Final = 300  # seconds: the longest call, and the worst case reserved from the balance
ALLOW_DUPLICATE_PHONE: Final = False
POOL_HOTLINE_KEY: Final = "POOL_SYSTEM"  # the shared pool of caller numbers (CONTRACT §3)
CALL_ROUTING: Final = "RANDOM"  # how a caller number is picked: RANDOM, ROUND_ROBIN, LEAST_BUSY
RECORD: Final = False
# A running campaign whose contacts are all final stays open for more (AICall customers push
# contacts over days through the API, and a completed campaign refuses them: completing by
# default would close it between two pushes). `complete_when_done` asks for completion; it comes
# once nothing has changed for QUIET_PERIOD seconds, so a list pushed in several requests, or a
# request re-sent after an error, does not find the campaign closed half way.
COMPLETE_WHEN_DONE: Final = False
QUIET_PERIOD: Final = 600  # seconds

# Answering-machine detection (issue 15, docs/campaigns.md): off unless a campaign asks. When on,
# `sync` holds our first prompt until the callee is judged a person (or undecided, after at
# most the detector's 5 s): a person waits up to that long in silence, but a machine never
# hears a word of the scenario. `async` plays at once and stops if it was a machine. A machine
# is hung up on (`hangup`) unless the campaign leaves a message; a message waits for the end of
# the greeting (the beep) at most VOICEMAIL_MESSAGE_WAIT seconds after the verdict, then gives up.
AMD: Final = False
AMD_MODE: Final = "sync"  # "sync" | "async"
VOICEMAIL_ACTION: Final = "hangup"  # "hangup" | "leave_message"
VOICEMAIL_MESSAGE_WAIT: Final = 30.0  # seconds

# Re-calls, in the contract's shape (see the module docstring for why 30 minutes for all).
RE_CALL_TIMES: Final = 2  # re-calls after the first attempt
RE_CALL_DELAY_MINUTES: Final = 30
RE_CALL: Final[Mapping[str, Any]] = MappingProxyType(
    {
        "times": RE_CALL_TIMES,
        "delay": RE_CALL_DELAY_MINUTES,
        "is_busy": True,
        "is_failed": True,
        "is_no_answer": True,
        "is_voice_mail": False,
    }
)


def scenario_call_config() -> dict[str, Any]:
    """A new scenario's `call_config` (CONTRACT §3 field names; `max_duration` in seconds,
    `re_call.delay` in minutes): a fresh copy the caller may change."""
    return {
        "allow_duplicate_phone": ALLOW_DUPLICATE_PHONE,
        "call_routing": CALL_ROUTING,
        "max_concurrent": MAX_CONCURRENT,
        "max_duration": MAX_DURATION,
        "pool_hotline_key": POOL_HOTLINE_KEY,
        "re_call": dict(RE_CALL),
    }
