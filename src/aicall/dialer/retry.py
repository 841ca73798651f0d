"""What happens to a contact after an attempt: done, dialled again later, or failed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from aicall.calls.outcomes import CallOutcome
from aicall.campaigns.models import ContactStatus
from aicall.campaigns.settings import CampaignSettings


@dataclass(frozen=True, slots=True)
class NextStep:
    status: ContactStatus
    next_attempt_at: datetime | None = None

    @property
    def retry_scheduled(self) -> bool:
        return self.status is ContactStatus.RETRY_WAIT


def after_attempt(
    outcome: CallOutcome, *, attempts_made: int, settings: CampaignSettings, now: datetime
) -> NextStep:
    """Answered calls are done; invalid numbers fail at once; other outcomes are re-called
    while `attempts_made - 1` (the re-calls so far) is below their rule's `max_attempts`."""
    if outcome is CallOutcome.ANSWERED:
        return NextStep(ContactStatus.DONE)
    if outcome is CallOutcome.INVALID_NUMBER:
        return NextStep(ContactStatus.FAILED)
    rule = settings.retry.get(outcome.value)
    if rule is None or attempts_made - 1 >= rule.max_attempts:
        return NextStep(ContactStatus.FAILED)
    return NextStep(ContactStatus.RETRY_WAIT, now + timedelta(seconds=rule.interval))
