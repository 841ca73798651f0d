"""Why a campaign's contacts are not being dialled right now, and until when.

One answer for the public API, the CLI, the dashboard and the `aicall_contacts_waiting` metric
(issue 12: "nothing silent"). Pure: the caller reads the campaign, its effective settings, the
account's balance and the calls in flight, and passes the clock's `now`; nothing here touches a
database, so every reason is testable with plain values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from aicall.campaigns import window
from aicall.campaigns.models import Campaign, CampaignStatus, ContactStatus
from aicall.campaigns.settings import CampaignSettings

__all__ = ["Waiting", "WaitingReason", "for_campaign", "for_contact"]

_BALANCE_PAUSE = "insufficient_balance"  # lifecycle.PauseReason.INSUFFICIENT_BALANCE, stored as text


class WaitingReason(StrEnum):
    """Why nothing (or this contact) is dialled now."""

    NOT_STARTED = "not_started"  # a draft campaign: nobody has started it
    PAUSED = "paused"  # paused by a person or by the platform (detail: the pause reason)
    INSUFFICIENT_BALANCE = "insufficient_balance"  # the balance cannot cover one more call; a top-up resumes
    SCHEDULED = "scheduled"  # until: the campaign's start date, or the contact's own first-dial time
    OUTSIDE_WINDOW = "outside_window"  # until: when the calling window opens (None: it never will)
    CONCURRENCY_FULL = "concurrency_full"  # as many calls in flight as the campaign allows
    RETRY_WAIT = "retry_wait"  # until: the contact's next attempt
    HOLIDAY = "holiday"  # until: the next day the campaign calls (detail: the holiday's name)
    # until: 24 h (advertising_interval) after the number's last advertising call of the account
    # (Decree 91/2020/ND-CP Art. 13 cl. 5)
    FREQUENCY_LIMIT = "frequency_limit"
    # No dialer process (`aicall worker`, or `aicall serve` with its engine) has sent a heartbeat
    # within AICALL_DIALER_STALE_AFTER: nothing dials until one runs.
    NO_DIALER = "no_dialer"
    # Every live dialer has a cap (AICALL_DIALER_MAX_CALLS) and together they carry that many calls
    # in flight: contacts wait for a call to end (detail: "<in flight> of <their caps' sum>").
    DIALER_CAPACITY = "dialer_capacity"


# Reasons that hold every contact of the campaign, whatever the contact's own time says.
_HOLDS_ALL = frozenset({WaitingReason.NOT_STARTED, WaitingReason.PAUSED, WaitingReason.INSUFFICIENT_BALANCE})

# Campaign reasons with an end of their own, compared with the contact's time.
_HOLDS_UNTIL = frozenset({WaitingReason.SCHEDULED, WaitingReason.OUTSIDE_WINDOW, WaitingReason.HOLIDAY})
_FREQUENCY_HOLD = "frequency_limit"  # compliance.rules.Reason.FREQUENCY_LIMIT, stored on the contact


@dataclass(frozen=True, slots=True)
class Waiting:
    """A reason, when it ends (UTC; None: not known or never) and a detail for people."""

    reason: WaitingReason
    until: datetime | None = None
    detail: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The API's fields: `waiting_reason`, `waiting_until` (ISO 8601), `waiting_detail`."""
        return {
            "waiting_reason": self.reason.value,
            "waiting_until": self.until.isoformat() if self.until else None,
            "waiting_detail": self.detail,
        }


NOT_WAITING: dict[str, Any] = {"waiting_reason": None, "waiting_until": None, "waiting_detail": None}


def for_campaign(
    *,
    campaign: Campaign,
    settings: CampaignSettings,
    now: datetime,
    available_balance: int,
    call_reservation: int,
    live_calls: int,
    live_dialers: int | None = None,
    dialer_calls: tuple[int, int] | None = None,
) -> Waiting | None:
    """Why the campaign dials nobody now, or None when it may dial (or is closed).

    `available_balance` and `call_reservation` are whole đồng: the account's balance less what
    calls in flight hold, and the worst case one more call reserves (the dialer's own test).
    `live_calls` counts the campaign's calls in flight across every dialer. `live_dialers`: the
    dialer processes whose heartbeat is within the stale window (None: not counted).
    `dialer_calls`: (calls in flight on those dialers, the sum of their caps), when every one of
    them has a cap (AICALL_DIALER_MAX_CALLS); None when one has none or they were not counted.

    Order: the campaign's status, then its calling window (a reason with an end), then a missing
    dialer — before the balance and concurrency, which a dialer alone acts on (it pauses the
    campaign, and a dead dialer's calls in flight stay counted until a live one reconciles them);
    the campaign's own concurrency before the dialers' caps, the nearer cause an operator can change.
    """
    status = campaign.status
    if status == CampaignStatus.DRAFT.value:
        return Waiting(WaitingReason.NOT_STARTED)
    if status == CampaignStatus.PAUSED.value:
        reason = campaign.pause_reason or ""
        if reason == _BALANCE_PAUSE:
            return Waiting(WaitingReason.INSUFFICIENT_BALANCE, detail=reason)
        return Waiting(WaitingReason.PAUSED, detail=reason or None)
    if status != CampaignStatus.RUNNING.value:
        return None
    closed = window.closed_by(settings, now)
    if closed is not None:
        opens = window.opens_at(settings, now)
        if window.before_start(settings, now):
            return Waiting(WaitingReason.SCHEDULED, until=opens, detail=f"starts {settings.start_date}")
        kind, name = closed
        if kind is window.Closure.HOLIDAY:
            return Waiting(WaitingReason.HOLIDAY, until=opens, detail=name)
        if kind is window.Closure.ADVERTISING_HOURS:
            return Waiting(WaitingReason.OUTSIDE_WINDOW, until=opens, detail=_advertising_hours(settings))
        return Waiting(WaitingReason.OUTSIDE_WINDOW, until=opens)
    if live_dialers == 0:
        return Waiting(WaitingReason.NO_DIALER, detail="no dialer process is running")
    if call_reservation > 0 and available_balance < call_reservation:
        return Waiting(
            WaitingReason.INSUFFICIENT_BALANCE,
            detail=f"available {available_balance} < {call_reservation} for one call",
        )
    if live_calls >= settings.max_concurrent:
        return Waiting(WaitingReason.CONCURRENCY_FULL, detail=f"{live_calls} of {settings.max_concurrent}")
    if dialer_calls is not None and dialer_calls[0] >= dialer_calls[1]:
        in_flight, capacity = dialer_calls
        return Waiting(WaitingReason.DIALER_CAPACITY, detail=f"{in_flight} of {capacity}")
    return None


def _advertising_hours(settings: CampaignSettings) -> str:
    start, end = settings.advertising_start.strftime("%H:%M"), settings.advertising_end.strftime("%H:%M")
    zone = settings.advertising_timezone
    return f"advertising calls {start}-{end} {zone} (Decree 91/2020/ND-CP, Art. 13, cl. 6)"


def for_contact(
    *,
    status: str,
    next_attempt_at: datetime | None,
    campaign: Waiting | None,
    now: datetime,
    hold: str | None = None,
) -> Waiting | None:
    """Why this contact is not being dialled now, or None (being called, final, or due now).

    A campaign-wide hold (draft, paused, balance) comes first; then whichever ends later of the
    contact's own time (a retry, or a first dial scheduled later) and the campaign's window;
    then, for a contact due now, the campaign's reason (its concurrency, or no dialer running).
    """
    if status not in (ContactStatus.PENDING.value, ContactStatus.RETRY_WAIT.value):
        return None
    if campaign is not None and campaign.reason in _HOLDS_ALL:
        return campaign
    if next_attempt_at is None or next_attempt_at <= now:
        return campaign
    if campaign is not None and campaign.reason in _HOLDS_UNTIL and _later(campaign.until, next_attempt_at):
        return campaign  # due before the window opens: the window is what it waits for
    if hold == _FREQUENCY_HOLD:
        # Its own time was set by the 24-hour rule (`hold`: the contact's compliance_reason).
        return Waiting(
            WaitingReason.FREQUENCY_LIMIT,
            until=next_attempt_at,
            detail="one advertising call per number per 24 h (Decree 91/2020/ND-CP, Art. 13, cl. 5)",
        )
    own = WaitingReason.RETRY_WAIT if status == ContactStatus.RETRY_WAIT.value else WaitingReason.SCHEDULED
    return Waiting(own, until=next_attempt_at)


def _later(until: datetime | None, moment: datetime) -> bool:
    return until is None or until > moment  # None: the window never opens again
