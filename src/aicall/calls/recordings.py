"""Where a call's recording is, for whoever may listen to it: an application through the public
API, or a person of the account through the dashboard."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from aicall.calls.models import CallAttempt
from aicall.campaigns.models import Contact
from aicall.errors import NotFound

__all__ = ["recording_file"]


def recording_file(
    session: Session, *, attempt_id: str, account_id: str | None = None, application_id: str | None = None
) -> Path:
    """The WAV file (8 kHz mono) of call attempt `attempt_id`, if it belongs to `account_id`
    (a dashboard user's account) and/or `application_id` (an API key's application).

    `NotFound` when it does not: another owner's attempt, an attempt without a recording and a
    missing one look the same. A recording deleted by `AICALL_RECORDING_RETENTION_DAYS` says so.
    """
    if account_id is None and application_id is None:
        raise ValueError("give the owner: account_id, application_id or both")
    attempt = session.get(CallAttempt, attempt_id)
    if attempt is None or not attempt.recording_path:
        raise NotFound("Recording not found")
    if account_id is not None and attempt.account_id != account_id:
        raise NotFound("Recording not found")
    if application_id is not None:
        contact = session.get(Contact, attempt.contact_id)
        if contact is None or contact.application_id != application_id:
            raise NotFound("Recording not found")
    path = Path(attempt.recording_path)
    if not path.is_file():
        raise NotFound("Recording not found (expired by the retention setting)")
    return path
