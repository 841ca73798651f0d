"""What the dialer hands a call task, and what the task hands back."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aicall.calls.outcomes import CallOutcome, EndReason
from aicall.campaigns.settings import CampaignSettings
from aicall.interpreter.script import Script
from aicall.interpreter.trace import CallTrace
from aicall.telephony.session import TrunkConfig


@dataclass(frozen=True, slots=True)
class CallJob:
    attempt_id: str
    attempt_number: int
    contact_id: str
    campaign_id: str
    application_id: str
    account_id: str
    phone: str
    tags: dict[str, str]
    hotline: str
    trunk: TrunkConfig | None
    settings: CampaignSettings
    script: Script | None  # None: no scenario; the claim pauses such a campaign, place_call never dials
    reserved: int
    price_per_minute: int
    billing_increment: int
    charge_unanswered: bool
    # The pool's caller identity for a trunk that asks for it (hotlines/identity.py); None: not sent.
    asserted_identity: str | None = None  # P-Asserted-Identity (RFC 3325 §9.1)
    privacy: str | None = None  # Privacy (RFC 3323 §4.2)


@dataclass(slots=True)
class CallResult:
    job: CallJob
    outcome: CallOutcome
    sip_code: int | None = None
    sip_reason: str = ""
    started_at: datetime | None = None
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    trace: CallTrace | None = None
    recording_path: str | None = None
    error: str | None = None
    # Why the call ended when the trace does not say (an attempt cut while still ringing).
    end_reason: EndReason | None = None
    # Set when the number was not dialled because a prompt cannot be spoken to this contact
    # (speech/readiness.py): the contact fails at once, uncharged, saying why.
    not_dialled: str | None = None
    # Answering-machine detection, when the campaign has it on (dialer/amd_screen.Screening.to_dict):
    # verdict, reason, decided_after (seconds), message_left. Stored on the attempt (`amd`).
    amd: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def duration(self) -> float:
        """Connected seconds (0 for calls never answered)."""
        if self.answered_at is None or self.ended_at is None:
            return 0.0
        return max(0.0, (self.ended_at - self.answered_at).total_seconds())
