"""An account's own credentials for the Vietnamese TTS vendors (Vbee, FPT.AI), sealed at rest.

A customer moving from AICall keeps their Vbee voices by adding their own Vbee app id and
token; calls and previews of that account's scenarios then use them over the platform's
(`AICALL_VBEE_APP_ID`/`AICALL_VBEE_TOKEN`, `AICALL_FPT_API_KEY`). Tokens are sealed with the
`SecretBox` that seals API secrets; the speech layer only ever sees `VendorCredentials`, passed
in by the engine layer (`engine.PrompterFactory`) and the preview.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from aicall.accounts import speech_settings
from aicall.accounts.models import Account, Application
from aicall.accounts.secrets_box import SecretBox
from aicall.clock import utc_now
from aicall.config import Settings
from aicall.db.base import Base, UTCDateTime
from aicall.errors import ValidationFailed
from aicall.speech.selection import VENDORS, VendorCredentials, VoiceEngines

__all__ = [
    "StoredCredential",
    "VoiceCredential",
    "for_account",
    "for_application",
    "platform_defaults",
    "remove_credentials",
    "set_credentials",
    "stored",
    "voice_engines",
]


class VoiceCredential(Base):
    """One vendor's credentials for one account."""

    __tablename__ = "voice_credentials"

    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)
    engine: Mapped[str] = mapped_column(String(16), primary_key=True)  # "vbee" | "fpt"
    url: Mapped[str] = mapped_column(Text, default="")  # "" for the vendor's documented endpoint
    app_id: Mapped[str] = mapped_column(String(200), default="")
    token_encrypted: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


def set_credentials(
    *,
    session: Session,
    box: SecretBox,
    account_id: str,
    engine: str,
    token: str,
    app_id: str = "",
    url: str = "",
    allow_private: bool = True,
) -> VoiceCredential:
    """Store (or replace) an account's credentials for `engine`; the token is sealed.
    `allow_private`: False from the dashboard (`speech_settings.check_vendor_url`)."""
    engine = engine.strip().lower()
    if engine not in VENDORS:
        raise ValidationFailed(f"engine must be one of {', '.join(VENDORS)}, not {engine!r}", field="engine")
    if not token.strip():
        raise ValidationFailed("a token (Vbee) or API key (FPT.AI) is required", field="token")
    if engine == "vbee" and not app_id.strip():
        raise ValidationFailed("Vbee needs the app id of the token's application", field="app_id")
    url = speech_settings.check_vendor_url(
        url, field="url", allow_private=allow_private, example="https://vbee.vn/api/v1/tts"
    )
    row = session.get(VoiceCredential, (account_id, engine))
    if row is None:
        row = VoiceCredential(account_id=account_id, engine=engine, token_encrypted="")
        session.add(row)
    row.url = url
    row.app_id = app_id.strip()
    row.token_encrypted = box.seal(token.strip())
    row.updated_at = utc_now()
    session.flush()
    return row


def remove_credentials(*, session: Session, account_id: str, engine: str) -> bool:
    """Forget an account's credentials for `engine`; whether there were any."""
    row = session.get(VoiceCredential, (account_id, engine.strip().lower()))
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True


def for_account(*, session: Session, box: SecretBox, account_id: str) -> dict[str, VendorCredentials]:
    """The account's own credentials by engine, opened."""
    rows = session.scalars(select(VoiceCredential).where(VoiceCredential.account_id == account_id))
    return {
        row.engine: VendorCredentials(url=row.url, app_id=row.app_id, token=box.open(row.token_encrypted))
        for row in rows
    }


@dataclass(frozen=True, slots=True)
class StoredCredential:
    """What may be shown of one stored credential: never the token, only its last 4 characters
    (`token_hint`; "" for a token under 12 characters, which cannot spare them)."""

    engine: str
    url: str
    app_id: str
    token_hint: str
    updated_at: datetime


def stored(*, session: Session, box: SecretBox, account_id: str) -> list[StoredCredential]:
    """The account's stored credentials, as the CLI and the dashboard show them (by engine)."""
    rows = session.scalars(
        select(VoiceCredential)
        .where(VoiceCredential.account_id == account_id)
        .order_by(VoiceCredential.engine)
    )
    shown = []
    for row in rows:
        try:
            token = box.open(row.token_encrypted)
        except RuntimeError:  # sealed under another AICALL_SECRET_KEY: stored, but unusable
            token = ""
        hint = token[-4:] if len(token) >= 12 else ""
        shown.append(StoredCredential(row.engine, row.url, row.app_id, hint, row.updated_at))
    return shown


def for_application(*, session: Session, box: SecretBox, application_id: str) -> dict[str, VendorCredentials]:
    """The credentials of the account an application (and so a scenario) belongs to."""
    account_id = session.scalar(select(Application.account_id).where(Application.id == application_id))
    if account_id is None or session.get(Account, account_id) is None:
        return {}
    return for_account(session=session, box=box, account_id=account_id)


def platform_defaults(settings: Settings) -> dict[str, VendorCredentials]:
    """The platform's vendor credentials (`AICALL_VBEE_*`, `AICALL_FPT_*`)."""
    return {
        "vbee": VendorCredentials(
            url=settings.vbee_tts_url, app_id=settings.vbee_app_id, token=settings.vbee_token
        ),
        "fpt": VendorCredentials(url=settings.fpt_tts_url, token=settings.fpt_api_key),
    }


def voice_engines(settings: Settings) -> VoiceEngines:
    """The one `VoiceEngines` of the settings: the call path's and the preview's (same choices)."""
    return VoiceEngines(
        engine=settings.tts_engine,
        base_url=settings.tts_base_url,
        api_key=settings.tts_api_key,
        vendors=platform_defaults(settings),
        # Vbee requires a callback URL; we poll and never depend on it (speech/vbee.py).
        callback_url=f"{settings.base_url}/api/v1/public-api/tts/vbee-callback",
    )
