"""An account's own speech recognition settings (issue 16): engine, URL, sealed API key, model,
timeout; and the resolver that gives each call its account's recogniser.

Precedence, written once (`effective`): an account that names an engine (`openai`, `fpt`)
uses its own URL, key and model, never the platform's (a key is not lent across accounts or
vendors); `none` turns recognition off for its calls (speech counts as silence, menus follow
their no-input path); no engine (unset) means the platform's `AICALL_ASR_ENGINE`,
`AICALL_ASR_BASE_URL`, `AICALL_ASR_API_KEY`. An account's timeout, when set, applies whichever
engine runs; otherwise `AICALL_ASR_TIMEOUT`.

The API key is sealed with the `SecretBox` that seals API secrets and TTS tokens; `read`
(what the CLI and dashboard show) gives only whether one is stored and its last 4 characters.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, Session, mapped_column

from aicall import addresses
from aicall.accounts.secrets_box import SecretBox
from aicall.clock import utc_now
from aicall.config import Settings
from aicall.db import faults
from aicall.db.base import Base, UTCDateTime
from aicall.db.engine import Database
from aicall.errors import ValidationFailed
from aicall.speech.asr_http import AsrEngines, AsrSettings, Recogniser

__all__ = [
    "ACCOUNT_ENGINES",
    "MAX_TIMEOUT",
    "MIN_TIMEOUT",
    "AccountSpeechSettings",
    "AsrResolver",
    "SpeechSettingsRead",
    "check_vendor_url",
    "clear_asr",
    "effective",
    "for_account",
    "platform_asr",
    "read",
    "set_asr",
]

log = logging.getLogger("aicall.accounts.speech_settings")

# What an account may choose; "" is "the platform's". (`echo` stays a platform setting: it
# hears only the simulator's phones.)
ACCOUNT_ENGINES = ("openai", "fpt", "none")
MIN_TIMEOUT, MAX_TIMEOUT = 1.0, 60.0  # seconds a call waits for one recognition
MAX_URL = 2000
MAX_MODEL = 200
MAX_KEY = 4000


class AccountSpeechSettings(Base):
    """One account's recogniser settings; a missing row is "the platform's, all of it"."""

    __tablename__ = "account_speech_settings"

    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)
    asr_engine: Mapped[str] = mapped_column(String(16), default="")  # "" | openai | fpt | none
    asr_base_url: Mapped[str] = mapped_column(Text, default="")
    asr_api_key_encrypted: Mapped[str] = mapped_column(Text, default="")  # "" when none is stored
    asr_model: Mapped[str] = mapped_column(String(MAX_MODEL), default="")
    asr_timeout: Mapped[float | None] = mapped_column(Float, nullable=True)  # None: the platform's
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


@dataclass(frozen=True, slots=True)
class SpeechSettingsRead:
    """What may be shown of an account's settings: never the key, only whether it is set and its
    last 4 characters (`api_key_hint`, "" when none)."""

    engine: str
    base_url: str
    model: str
    timeout: float | None
    api_key_set: bool
    api_key_hint: str
    updated_at: datetime | None


def _engine(raw: str) -> str:
    engine = raw.strip().lower()
    if engine in ("", "default", "platform"):
        return ""
    if engine not in ACCOUNT_ENGINES:
        allowed = ", ".join(ACCOUNT_ENGINES)
        raise ValidationFailed(
            f"must be one of {allowed}, or empty for the platform's, not {raw!r}", field="engine"
        )
    return engine


def check_vendor_url(raw: str, *, field: str, allow_private: bool, example: str) -> str:
    """An account's URL for a speech vendor (recogniser, TTS endpoint), stripped; "" stays "".

    Raises `ValidationFailed` on `field` unless it is an http(s) URL with a host and, when not
    `allow_private`, a host that is not (and does not resolve to) a loopback, private,
    link-local or metadata address (`aicall.addresses`): the dashboard's users may not aim the
    dialer's requests into the operator's network; the operator (CLI) may."""
    url = raw.strip()
    if not url:
        return ""
    parts = urlsplit(url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        port = -1
    if (
        len(url) > MAX_URL
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or port < 0
        or any(c.isspace() for c in url)
    ):
        raise ValidationFailed(f"must be an http(s) URL with a host, e.g. {example}", field=field)
    if parts.username is not None or parts.password is not None:
        # A password in the URL would be shown back with it: keys go in the key field, sealed.
        raise ValidationFailed("must not carry a user name or password; give the key on its own", field=field)
    try:
        addresses.check_host(parts.hostname, port, allow_private=allow_private, what="a speech vendor")
    except addresses.BlockedHost as exc:
        raise ValidationFailed(
            f"{exc}; an address inside the operator's network is set by the operator (aicall voice)",
            field=field,
        ) from None
    return url


def _timeout(raw: float | None) -> float | None:
    if raw is None:
        return None
    if not math.isfinite(raw) or not MIN_TIMEOUT <= raw <= MAX_TIMEOUT:
        raise ValidationFailed(
            f"must be between {MIN_TIMEOUT:g} and {MAX_TIMEOUT:g} seconds", field="timeout"
        )
    return float(raw)


def set_asr(
    *,
    session: Session,
    box: SecretBox,
    account_id: str,
    engine: str,
    base_url: str = "",
    api_key: str | None = None,
    model: str = "",
    timeout: float | None = None,
    allow_private: bool = True,
) -> SpeechSettingsRead:
    """Store an account's recogniser settings (all of them, as given).

    `engine`: openai | fpt | none | "" (the platform's). `api_key`: None keeps the stored key
    while the engine and base URL stay the same (a new engine or URL forgets it: a key belongs to
    the server it was given for), "" removes it, anything else replaces it (sealed).
    `timeout`: seconds, 1-60, None for the platform's. `allow_private`: False from the
    dashboard (`check_vendor_url`). Raises
    `ValidationFailed` naming the field (`engine`, `base_url`, `api_key`, `model`, `timeout`):
    openai needs a base URL, fpt a key of the account's own."""
    chosen = _engine(engine)
    url = check_vendor_url(
        base_url, field="base_url", allow_private=allow_private, example="https://asr.example.com/v1"
    )
    seconds = _timeout(timeout)
    model = model.strip()
    if len(model) > MAX_MODEL or any(c.isspace() for c in model):
        raise ValidationFailed(
            f"must be a model name of at most {MAX_MODEL} characters, no spaces", field="model"
        )
    if model and chosen != "openai":
        raise ValidationFailed("only the openai engine takes a model", field="model")
    if api_key is not None:
        api_key = api_key.strip()
        # It goes into an HTTP header: no line breaks or spaces inside, and a sane length.
        if len(api_key) > MAX_KEY or any(c.isspace() or not c.isprintable() for c in api_key):
            raise ValidationFailed(
                f"must be at most {MAX_KEY} printable characters without spaces", field="api_key"
            )
    row = session.get(AccountSpeechSettings, account_id)
    sealed = row.asr_api_key_encrypted if row is not None else ""
    if row is not None and (row.asr_engine, row.asr_base_url) != (chosen, url):
        # A key was given for one vendor's server: kept across a change of engine or URL, it
        # would go, with the callers' audio, to a server it was never meant for.
        sealed = ""
    if api_key is not None:
        sealed = box.seal(api_key) if api_key else ""
    if chosen == "openai" and not url:
        raise ValidationFailed(
            "the openai engine needs the server's URL (its /v1/audio/transcriptions is called)",
            field="base_url",
        )
    if chosen == "fpt" and not sealed:
        raise ValidationFailed("the fpt engine needs the account's FPT.AI API key", field="api_key")
    if row is None:
        row = AccountSpeechSettings(account_id=account_id)
        session.add(row)
    row.asr_engine = chosen
    row.asr_base_url = url
    row.asr_api_key_encrypted = sealed
    row.asr_model = model
    row.asr_timeout = seconds
    row.updated_at = utc_now()
    session.flush()
    return _read(row, box)


def clear_asr(*, session: Session, account_id: str) -> bool:
    """Forget an account's recogniser settings (the platform's apply again); whether there were any."""
    row = session.get(AccountSpeechSettings, account_id)
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True


def _read(row: AccountSpeechSettings, box: SecretBox) -> SpeechSettingsRead:
    try:
        key = box.open(row.asr_api_key_encrypted) if row.asr_api_key_encrypted else ""
    except RuntimeError:  # sealed under another AICALL_SECRET_KEY: stored, but unusable
        key = ""
    return SpeechSettingsRead(
        engine=row.asr_engine,
        base_url=row.asr_base_url,
        model=row.asr_model,
        timeout=row.asr_timeout,
        api_key_set=bool(row.asr_api_key_encrypted),
        # At most 4 characters, and none of a key too short to spare them.
        api_key_hint=key[-4:] if len(key) >= 12 else "",
        updated_at=row.updated_at,
    )


def read(*, session: Session, box: SecretBox, account_id: str) -> SpeechSettingsRead | None:
    """What the CLI and dashboard show (no key); None when the account has no settings."""
    row = session.get(AccountSpeechSettings, account_id)
    return None if row is None else _read(row, box)


def for_account(*, session: Session, box: SecretBox, account_id: str) -> AsrSettings | None:
    """The account's own settings, key opened (for the call path only); None when it has none.
    `engine` is "" when the account keeps the platform's and `timeout` NaN when it keeps that."""
    row = session.get(AccountSpeechSettings, account_id)
    if row is None:
        return None
    return AsrSettings(
        engine=row.asr_engine,
        base_url=row.asr_base_url,
        api_key=box.open(row.asr_api_key_encrypted) if row.asr_api_key_encrypted else "",
        model=row.asr_model,
        timeout=row.asr_timeout if row.asr_timeout is not None else math.nan,
    )


def platform_asr(settings: Settings) -> AsrSettings:
    """The platform's recogniser (`AICALL_ASR_ENGINE`, `_BASE_URL`, `_API_KEY`, `_TIMEOUT`)."""
    return AsrSettings(
        engine=settings.asr_engine,
        base_url=settings.asr_base_url,
        api_key=settings.asr_api_key,
        timeout=settings.asr_timeout,
    )


def effective(platform: AsrSettings, own: AsrSettings | None) -> AsrSettings:
    """The precedence rule of this module's docstring: what an account's calls use."""
    if own is None:
        return platform
    timeout = platform.timeout if math.isnan(own.timeout) else own.timeout
    if not own.engine:
        return AsrSettings(
            platform.engine, platform.base_url, platform.api_key, platform.model, timeout=timeout
        )
    return AsrSettings(own.engine, own.base_url, own.api_key, own.model, timeout=timeout)


class AsrResolver:
    """Each call's recogniser, from its account's settings over the platform's.

    Settings are read at most once per `ttl` seconds per account (default 15): a call asks on
    every dial, and a query per call on the dialer's path is what the TTS credentials' reader
    (`engine._AccountVoices`) avoids too. A change made by the CLI or the dashboard, in
    whatever process, reaches new calls within `ttl`; calls in progress keep their engine.
    Engines for equal settings are shared (`AsrEngines`). A bad platform setting raises
    `ValueError` here, at start; an account's row that cannot be read or built (a key sealed
    with another `AICALL_SECRET_KEY`) is logged and its calls hear nothing, never fail.
    `monotonic` is injected so tests expire the cache without sleeping."""

    def __init__(
        self,
        *,
        db: Database,
        box: SecretBox,
        settings: Settings,
        ttl: float = 15.0,
        monotonic: Callable[[], float] = time.monotonic,
        engines: AsrEngines | None = None,
    ) -> None:
        self._db = db
        self._box = box
        self._platform = platform_asr(settings)
        self._ttl = ttl
        self._monotonic = monotonic
        self._engines = engines or AsrEngines()
        self.platform = self._engines.recogniser(self._platform)  # fails fast on a bad setting
        self._cache: dict[str, tuple[float, Recogniser]] = {}
        self._pending: dict[str, asyncio.Future[Recogniser]] = {}

    async def for_account(self, account_id: str) -> Recogniser:
        """The recogniser and timeout (seconds) for a call of `account_id`."""
        now = self._monotonic()
        cached = self._cache.get(account_id)
        if cached is not None and cached[0] > now:
            return cached[1]
        # The calls a pass starts together ask together: one read answers them all.
        pending = self._pending.get(account_id)
        if pending is None:
            pending = asyncio.ensure_future(self._refresh(account_id, cached, now))
            self._pending[account_id] = pending
        # Shielded: a call cancelled while waiting must not cancel the others' answer.
        return await asyncio.shield(pending)

    async def _refresh(
        self, account_id: str, cached: tuple[float, Recogniser] | None, now: float
    ) -> Recogniser:
        try:
            own = await asyncio.to_thread(self._read, account_id)
            recogniser = self._engines.recogniser(effective(self._platform, own))
        except Exception as exc:  # the call goes on; its menus hear nothing (the no-input path)
            fault = faults.storage_fault(exc)
            if fault is not None:  # the database away: said, not dumped (the dialer reports it)
                log.warning("cannot read the speech settings of account %s: %s", account_id, fault)
            else:
                log.exception("cannot resolve the speech recogniser of account %s", account_id)
            # The last known choice, else no recogniser; never the platform's: the account
            # may have chosen `none` to keep its callees' voices at home.
            recogniser = cached[1] if cached is not None else Recogniser(None, self._platform.timeout)
        finally:
            self._pending.pop(account_id, None)
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[account_id] = (now + self._ttl, recogniser)
        return recogniser

    def _read(self, account_id: str) -> AsrSettings | None:
        with self._db.reading() as session:
            return for_account(session=session, box=self._box, account_id=account_id)

    async def aclose(self) -> None:
        """Close the recognisers' shared connection pool."""
        await self._engines.aclose()
