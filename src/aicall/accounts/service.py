"""Accounts and applications: creation, look-up by API key, secrets."""

from __future__ import annotations

import secrets
import time
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from aicall.accounts.models import Account, Application
from aicall.accounts.secrets_box import SecretBox
from aicall.accounts.tokens import Credentials
from aicall.errors import ApplicationNotFound, ValidationFailed

MAX_NAME_LENGTH = 200  # the column's size


@dataclass(frozen=True, slots=True)
class NewApplication:
    application: Application
    api_secret: str
    webhook_secret: str | None


def create_account(*, session: Session, name: str, auto_approve_scenarios: bool = False) -> Account:
    """A new customer account with an empty balance."""
    account = Account(name=name, auto_approve_scenarios=auto_approve_scenarios, balance=0, reserved=0)
    session.add(account)
    session.flush()
    return account


def new_webhook_secret() -> str:
    # Standard Webhooks secrets are "whsec_" + base64 of the key bytes.
    import base64

    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def create_application(
    *,
    session: Session,
    box: SecretBox,
    account_id: str,
    name: str,
    webhook_url: str | None = None,
) -> NewApplication:
    """A new application with a fresh API key (UUID) and API secret (shown once).
    Raises ValidationFailed for an empty name or one longer than 200 characters."""
    name = name.strip()
    if not name:
        raise ValidationFailed("Validation Failed: name: must not be empty")
    if len(name) > MAX_NAME_LENGTH:
        raise ValidationFailed(f"Validation Failed: name: must be at most {MAX_NAME_LENGTH} characters")
    api_secret = secrets.token_urlsafe(32)
    webhook_secret = new_webhook_secret()
    app = Application(
        account_id=account_id,
        name=name,
        api_key=str(uuid.uuid4()),
        api_secret_encrypted=box.seal(api_secret),
        webhook_url=webhook_url,
        webhook_secret_encrypted=box.seal(webhook_secret),
    )
    session.add(app)
    session.flush()
    return NewApplication(app, api_secret, webhook_secret)


def rotate_api_secret(*, session: Session, box: SecretBox, application_id: str) -> str:
    """Replace the application's API secret; return the new one (shown once, stored sealed).

    Tokens signed with the old secret stop verifying at once in processes that have not cached
    the credentials; callers holding a `CredentialCache` should `forget` the API key."""
    app = session.get(Application, application_id)
    if app is None:
        raise ApplicationNotFound()
    api_secret = secrets.token_urlsafe(32)
    app.api_secret_encrypted = box.seal(api_secret)
    session.flush()
    return api_secret


def get_by_api_key(*, session: Session, api_key: str) -> Application | None:
    return session.scalars(select(Application).where(Application.api_key == api_key)).first()


def list_applications(*, session: Session) -> list[tuple[Application, str]]:
    """Every application with its account's name, oldest first (`aicall app list`)."""
    rows = session.execute(
        select(Application, Account.name)
        .join(Account, Account.id == Application.account_id)
        .order_by(Application.created_at, Application.id)
    ).all()
    return [(app, account_name) for app, account_name in rows]


class CredentialCache:
    """API key -> decrypted credentials, kept briefly: every API call verifies a token, and
    decrypting the secret each time would cost more than the request's own work."""

    def __init__(self, ttl: float = 30.0) -> None:
        self._ttl = ttl
        self._entries: dict[str, tuple[float, Credentials | None]] = {}

    def get(self, api_key: str) -> tuple[bool, Credentials | None]:
        entry = self._entries.get(api_key)
        if entry is None or entry[0] < time.monotonic():
            return False, None
        return True, entry[1]

    def put(self, api_key: str, credentials: Credentials | None) -> None:
        if len(self._entries) > 10_000:
            self._entries.clear()
        # Unknown keys are cached for a moment too, so a flood of bad keys cannot hammer the DB.
        self._entries[api_key] = (time.monotonic() + (self._ttl if credentials else 2.0), credentials)

    def forget(self, api_key: str) -> None:
        self._entries.pop(api_key, None)


def credentials_for(*, session: Session, box: SecretBox, api_key: str) -> Credentials | None:
    app = get_by_api_key(session=session, api_key=api_key)
    if app is None:
        return None
    return Credentials(
        application_id=app.id,
        account_id=app.account_id,
        api_key=app.api_key,
        api_secret=box.open(app.api_secret_encrypted),
    )
