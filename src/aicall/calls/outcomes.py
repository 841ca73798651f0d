"""The vocabulary of call outcomes, shared by telephony, the dialer, the API and webhooks."""

from __future__ import annotations

from enum import StrEnum


class CallOutcome(StrEnum):
    ANSWERED = "answered"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    REJECTED = "rejected"
    INVALID_NUMBER = "invalid_number"
    VOICEMAIL = "voicemail"
    FAILED = "failed"


class EndReason(StrEnum):
    """Why an answered call ended."""

    COMPLETED = "completed"  # the scenario reached an end-of-call action and we hung up
    REMOTE_HANGUP = "remote_hangup"  # the callee hung up
    MAX_DURATION = "max_duration"  # the campaign's longest-call limit
    TRANSFERRED = "transferred"  # handed to a person
    DEAD_MEDIA = "dead_media"  # no RTP from the far end for too long
    ERROR = "error"  # a fault on our side
    # The platform stopped (SIGTERM/SIGINT) and its grace ran out: we hung up (BYE). Set on an
    # attempt still ringing then too (outcome `failed`). Not the crash rule: the call's real
    # connected time is known and charged (docs/reliability.md).
    SHUTDOWN = "shutdown"
