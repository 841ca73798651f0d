"""People who log in to the dashboard: a user belongs to one account and sees only its things.

Passwords are hashed with argon2id (RFC 9106) through argon2-cffi's defaults; the hash string
carries its own parameters, so raising them later re-hashes on the next successful login.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from aicall.accounts.models import Account
from aicall.clock import utc_now
from aicall.db.base import Base, UTCDateTime
from aicall.errors import ValidationFailed
from aicall.ids import object_id

MIN_PASSWORD_LENGTH = 8
_hasher = PasswordHasher()
# Verifying against this when the email is unknown keeps a failed login as slow as a wrong
# password, so timing does not tell which emails have accounts.
_DUMMY_HASH = _hasher.hash("not a password of anyone")


class User(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(24), primary_key=True, default=object_id)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-case
    password_hash: Mapped[str] = mapped_column(Text)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    language: Mapped[str] = mapped_column(String(8), default="vi")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # Bumped by logout and password changes: every session cookie signed with an older value is
    # refused, so a copied cookie does not outlive a logout (OWASP session management).
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


@dataclass(frozen=True, slots=True)
class UserRead:
    """What the dashboard and the CLI show of a user (never the hash)."""

    id: str
    account_id: str
    account_name: str
    email: str
    is_admin: bool
    language: str
    session_epoch: int = 0


def normalise_email(email: str) -> str:
    """Lower-cased, trimmed; raises ValidationFailed for an address without `@` and a domain."""
    value = email.strip().lower()
    local, _, domain = value.partition("@")
    if not local or "." not in domain or " " in value or len(value) > 254:
        raise ValidationFailed(f"Validation Failed: email: {email!r} is not an email address")
    return value


def generate_password() -> str:
    """A random password for people who did not choose one: 16 URL-safe characters."""
    return secrets.token_urlsafe(12)


def create_user(
    *,
    session: Session,
    account_id: str,
    email: str,
    password: str,
    is_admin: bool = False,
    language: str = "vi",
) -> User:
    """Add a user to an account. Raises ValidationFailed for a taken email or a short password."""
    address = normalise_email(email)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            f"Validation Failed: password: must be at least {MIN_PASSWORD_LENGTH} characters"
        )
    if session.get(Account, account_id) is None:
        raise ValidationFailed(f"Validation Failed: account: {account_id!r} does not exist")
    if session.scalars(select(User.id).where(User.email == address)).first() is not None:
        raise ValidationFailed(f"Validation Failed: email: {address} is already a user")
    user = User(
        account_id=account_id,
        email=address,
        password_hash=_hasher.hash(password),
        is_admin=is_admin,
        language=language,
    )
    session.add(user)
    session.flush()
    return user


def set_password(*, session: Session, user_id: str, password: str) -> None:
    """Replace a user's password. Raises ValidationFailed for a short one."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            f"Validation Failed: password: must be at least {MIN_PASSWORD_LENGTH} characters"
        )
    user = session.get(User, user_id)
    if user is not None:
        user.password_hash = _hasher.hash(password)
        user.session_epoch += 1  # a new password signs out every other session


def authenticate(*, session: Session, email: str, password: str) -> User | None:
    """The user whose email and password match, or None. Reads only: the argon2 check (tens
    of milliseconds) must not hold SQLite's write lock; `record_login` writes afterwards."""
    address = email.strip().lower()
    user = session.scalars(select(User).where(User.email == address)).first()
    if user is None:
        _verify(_DUMMY_HASH, password)
        return None
    return user if _verify(user.password_hash, password) else None


def record_login(*, session: Session, user_id: str, password: str) -> None:
    """Stamp the login time; re-hash when argon2's parameters have been raised since."""
    user = session.get(User, user_id)
    if user is None:
        return
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    user.last_login_at = utc_now()


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def read(*, session: Session, user_id: str) -> UserRead | None:
    """One user with their account's name, or None."""
    row = session.execute(
        select(User, Account.name).join(Account, Account.id == User.account_id).where(User.id == user_id)
    ).first()
    if row is None:
        return None
    user, account_name = row
    return _to_read(user, account_name)


def list_users(*, session: Session, account_id: str | None = None) -> list[UserRead]:
    """Users by email, optionally of one account."""
    query = select(User, Account.name).join(Account, Account.id == User.account_id).order_by(User.email)
    if account_id is not None:
        query = query.where(User.account_id == account_id)
    return [_to_read(user, name) for user, name in session.execute(query)]


def end_sessions(*, session: Session, user_id: str) -> None:
    """Sign the user out everywhere: every session cookie issued before now stops working."""
    user = session.get(User, user_id)
    if user is not None:
        user.session_epoch += 1


def find_user_id(*, session: Session, email: str) -> str | None:
    """The id of the user with this email (any case), or None."""
    return session.scalars(select(User.id).where(User.email == email.strip().lower())).first()


def find_account(*, session: Session, ref: str) -> Account | None:
    """An account by id, or else by exact name (names are what people remember)."""
    account = session.get(Account, ref)
    if account is not None:
        return account
    return session.scalars(select(Account).where(Account.name == ref)).first()


def _to_read(user: User, account_name: str) -> UserRead:
    return UserRead(
        id=user.id,
        account_id=user.account_id,
        account_name=account_name,
        email=user.email,
        is_admin=user.is_admin,
        language=user.language,
        session_epoch=user.session_epoch,
    )
