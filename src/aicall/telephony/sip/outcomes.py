"""SIP final responses mapped to call outcomes (the table is repeated in docs/sip.md).

The SIP code itself is always kept on the `DialResult`, so a finer reading later (per
carrier quirks) needs no redial.
"""

from __future__ import annotations

from aicall.calls.outcomes import CallOutcome

# Exact codes first; then the class default below.
_BY_CODE: dict[int, CallOutcome] = {
    # the callee's line is busy
    486: CallOutcome.BUSY,
    600: CallOutcome.BUSY,
    # nobody picked up, or the phone is off / out of coverage
    408: CallOutcome.NO_ANSWER,  # Request Timeout sent by the far end
    480: CallOutcome.NO_ANSWER,  # Temporarily Unavailable
    487: CallOutcome.NO_ANSWER,  # Request Terminated: our CANCEL after the ring timeout
    # the callee (or their network on their behalf) refused the call
    603: CallOutcome.REJECTED,  # Decline
    # the number does not exist or is malformed
    404: CallOutcome.INVALID_NUMBER,  # Not Found
    410: CallOutcome.INVALID_NUMBER,  # Gone
    484: CallOutcome.INVALID_NUMBER,  # Address Incomplete
    485: CallOutcome.INVALID_NUMBER,  # Ambiguous
    604: CallOutcome.INVALID_NUMBER,  # Does Not Exist Anywhere
    # our side or the trunk is at fault: retrying the same contact later may succeed
    401: CallOutcome.FAILED,  # credentials refused
    403: CallOutcome.FAILED,  # trunk forbids the call (account, route, caller id)
    407: CallOutcome.FAILED,
    488: CallOutcome.FAILED,  # Not Acceptable Here: no common codec
    606: CallOutcome.FAILED,  # Not Acceptable
}


def outcome_for_status(status: int) -> CallOutcome:
    """The outcome of a dial that ended with SIP final response `status` (>= 300)."""
    if status in _BY_CODE:
        return _BY_CODE[status]
    if 200 <= status < 300:
        return CallOutcome.ANSWERED
    if status >= 600:
        return CallOutcome.REJECTED  # other global failures: the callee's choice
    return CallOutcome.FAILED  # 3xx (redirects are not followed), other 4xx, all 5xx


def outcome_table() -> dict[int, CallOutcome]:
    """The exact-code part of the mapping, for documentation and tests."""
    return dict(_BY_CODE)
