"""An account's applications as its people see them (the dashboard): never a secret.

The public API scopes by application (a token names one); a dashboard user belongs to an
account and sees all of its applications. Another account's application is reported exactly
as a missing one (None).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from aicall.accounts.models import Application

__all__ = ["ApplicationRow", "list_for_account", "of_account"]


@dataclass(frozen=True, slots=True)
class ApplicationRow:
    """What may be shown of an application: its key, never its secrets."""

    id: str
    name: str
    api_key: str
    webhook_url: str | None
    webhook_events: list[str] | None  # None: every type
    created_at: datetime


def _row(app: Application) -> ApplicationRow:
    events = list(app.webhook_events) if app.webhook_events is not None else None
    return ApplicationRow(app.id, app.name, app.api_key, app.webhook_url, events, app.created_at)


def list_for_account(*, session: Session, account_id: str) -> list[ApplicationRow]:
    """The account's applications, oldest first (the first is usually the main one)."""
    apps = session.scalars(
        select(Application)
        .where(Application.account_id == account_id)
        .order_by(Application.created_at, Application.id)
    )
    return [_row(app) for app in apps]


def of_account(*, session: Session, account_id: str, application_id: str) -> ApplicationRow | None:
    """The application if it belongs to the account, else None (missing or another's)."""
    app = session.scalars(
        select(Application).where(Application.id == application_id, Application.account_id == account_id)
    ).first()
    return _row(app) if app is not None else None
