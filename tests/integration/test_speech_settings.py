"""An account's own speech recognition settings: sealed at rest, refused when incomplete, and
resolved for its calls over the platform's (AICALL_ASR_*)."""

from __future__ import annotations

import asyncio
import math

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from aicall.accounts import speech_settings
from aicall.accounts.secrets_box import SecretBox
from aicall.config import Settings
from aicall.db.engine import Database
from aicall.errors import ValidationFailed
from aicall.speech.asr import EchoAsrEngine
from aicall.speech.asr_http import FptAsrEngine, OpenAITranscriptionEngine
from tests.integration.support import SECRET_KEY, Tenant, make_tenant

BOX = SecretBox(SECRET_KEY)
KEY = "sk-account-own-key-7f3a"


def _set(db: Database, account_id: str, **fields: object) -> speech_settings.SpeechSettingsRead:
    with db.transaction() as session:
        return speech_settings.set_asr(session=session, box=BOX, account_id=account_id, **fields)  # type: ignore[arg-type]


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _resolver(db: Database, clock: Clock | None = None, **platform: object) -> speech_settings.AsrResolver:
    settings = Settings(secret_key=SECRET_KEY, **platform)  # type: ignore[arg-type]
    return speech_settings.AsrResolver(db=db, box=BOX, settings=settings, monotonic=clock or Clock())


def test_the_api_key_is_sealed_at_rest_and_shown_only_by_its_last_four_characters(
    db: Database, tenant: Tenant
) -> None:
    shown = _set(db, tenant.account_id, engine="openai", base_url="https://asr.example.com/v1", api_key=KEY)
    with db.reading() as session:
        stored = session.execute(
            text("SELECT asr_api_key_encrypted FROM account_speech_settings")
        ).scalar_one()
        own = speech_settings.for_account(session=session, box=BOX, account_id=tenant.account_id)

    assert KEY not in stored and "7f3a" not in stored
    assert shown.api_key_set and shown.api_key_hint == "7f3a"
    assert KEY not in repr(shown) and own is not None and KEY not in repr(own)
    assert own.api_key == KEY and own.engine == "openai"


def test_setting_again_without_a_key_keeps_the_stored_one_and_an_empty_key_removes_it(
    db: Database, tenant: Tenant
) -> None:
    _set(db, tenant.account_id, engine="fpt", api_key=KEY)
    kept = _set(db, tenant.account_id, engine="fpt", timeout=8)
    assert kept.api_key_set and kept.timeout == 8
    with pytest.raises(ValidationFailed) as refused:
        _set(db, tenant.account_id, engine="fpt", api_key="")
    assert refused.value.details[0]["field"] == "api_key"
    removed = _set(db, tenant.account_id, engine="", api_key="")
    assert not removed.api_key_set and removed.api_key_hint == ""


def test_a_stored_key_never_goes_to_another_engine_or_server(db: Database, tenant: Tenant) -> None:
    """A key given for one vendor's server is forgotten when the engine or the URL changes
    without a new key: kept, it would be sent, with the callers' audio, to the other server."""
    _set(db, tenant.account_id, engine="openai", base_url="https://asr.example.com/v1", api_key=KEY)
    with pytest.raises(ValidationFailed) as refused:  # FPT.AI needs a key of its own
        _set(db, tenant.account_id, engine="fpt")
    assert refused.value.details[0]["field"] == "api_key"
    assert _set(db, tenant.account_id, engine="openai", base_url="https://asr.example.com/v1").api_key_set
    moved = _set(db, tenant.account_id, engine="openai", base_url="https://other.example.net/v1")
    assert not moved.api_key_set
    with db.reading() as session:
        own = speech_settings.for_account(session=session, box=BOX, account_id=tenant.account_id)
    assert own is not None and own.api_key == ""


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"engine": "azure"}, "engine"),
        ({"engine": "echo"}, "engine"),
        ({"engine": "openai"}, "base_url"),
        ({"engine": "openai", "base_url": "ftp://asr.example.com"}, "base_url"),
        ({"engine": "openai", "base_url": "https://"}, "base_url"),
        ({"engine": "openai", "base_url": "not a url"}, "base_url"),
        ({"engine": "fpt"}, "api_key"),
        ({"engine": "fpt", "api_key": KEY, "model": "whisper-1"}, "model"),
        ({"engine": "", "timeout": 0.5}, "timeout"),
        ({"engine": "", "timeout": 61}, "timeout"),
        ({"engine": "", "timeout": math.nan}, "timeout"),
    ],
)
def test_bad_settings_are_refused_naming_the_field_and_nothing_is_stored(
    db: Database, tenant: Tenant, fields: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        _set(db, tenant.account_id, **fields)
    assert refused.value.details[0]["field"] == field
    assert field in refused.value.message
    with db.reading() as session:
        assert speech_settings.read(session=session, box=BOX, account_id=tenant.account_id) is None


async def test_an_account_with_its_own_engine_gets_it_and_others_keep_the_platforms(db: Database) -> None:
    own, other = make_tenant(db, "Own"), make_tenant(db, "Other")
    _set(
        db,
        own.account_id,
        engine="openai",
        base_url="http://127.0.0.1:9/v1",
        api_key=KEY,
        model="m-vi",
        timeout=4,
    )
    resolver = _resolver(db, asr_engine="fpt", asr_api_key="platform-key", asr_timeout=9)
    try:
        mine = await resolver.for_account(own.account_id)
        theirs = await resolver.for_account(other.account_id)
    finally:
        await resolver.aclose()

    assert isinstance(mine.engine, OpenAITranscriptionEngine) and mine.timeout == 4
    assert mine.engine.url == "http://127.0.0.1:9/v1/audio/transcriptions" and mine.engine.model == "m-vi"
    assert isinstance(theirs.engine, FptAsrEngine) and theirs.timeout == 9


async def test_none_turns_recognition_off_for_that_account_only(db: Database) -> None:
    silent, other = make_tenant(db, "Silent"), make_tenant(db, "Other")
    _set(db, silent.account_id, engine="none")
    resolver = _resolver(db, asr_engine="echo")
    assert (await resolver.for_account(silent.account_id)).engine is None
    assert isinstance((await resolver.for_account(other.account_id)).engine, EchoAsrEngine)


async def test_a_timeout_alone_keeps_the_platforms_engine(db: Database, tenant: Tenant) -> None:
    _set(db, tenant.account_id, engine="", timeout=3)
    recogniser = await _resolver(db, asr_engine="echo", asr_timeout=12).for_account(tenant.account_id)
    assert isinstance(recogniser.engine, EchoAsrEngine) and recogniser.timeout == 3


async def test_a_change_reaches_new_calls_once_the_cache_expires(db: Database, tenant: Tenant) -> None:
    clock = Clock()
    resolver = _resolver(db, clock, asr_engine="echo")
    assert isinstance((await resolver.for_account(tenant.account_id)).engine, EchoAsrEngine)
    _set(db, tenant.account_id, engine="none")

    clock.now = 14.0  # within the 15 s the settings are kept
    assert isinstance((await resolver.for_account(tenant.account_id)).engine, EchoAsrEngine)
    clock.now = 15.5
    assert (await resolver.for_account(tenant.account_id)).engine is None


async def test_a_key_sealed_with_another_secret_key_means_no_recogniser_not_a_failed_call(
    db: Database, tenant: Tenant
) -> None:
    with db.transaction() as session:
        speech_settings.set_asr(
            session=session,
            box=SecretBox("another-key"),
            account_id=tenant.account_id,
            engine="fpt",
            api_key=KEY,
        )
    recogniser = await _resolver(db, asr_engine="echo").for_account(tenant.account_id)
    assert recogniser.engine is None


def test_clearing_forgets_the_settings(db: Database, tenant: Tenant) -> None:
    _set(db, tenant.account_id, engine="none")
    with db.transaction() as session:
        assert speech_settings.clear_asr(session=session, account_id=tenant.account_id)
        assert not speech_settings.clear_asr(session=session, account_id=tenant.account_id)
        assert speech_settings.read(session=session, box=BOX, account_id=tenant.account_id) is None


def test_a_bad_platform_setting_fails_at_start(db: Database) -> None:
    with pytest.raises(ValueError, match="AICALL_ASR_BASE_URL"):
        _resolver(db, asr_engine="openai")


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8000/v1", "http://10.1.2.3/v1", "http://169.254.169.254/v1"]
)
def test_the_dashboard_may_not_aim_the_recogniser_into_the_operators_network(
    db: Database, tenant: Tenant, url: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        _set(db, tenant.account_id, engine="openai", base_url=url, allow_private=False)
    assert refused.value.details[0]["field"] == "base_url"
    # The operator (CLI) may: self-hosted Whisper servers often live on the private network.
    assert _set(db, tenant.account_id, engine="openai", base_url=url).base_url == url


async def test_the_calls_of_one_account_started_together_read_its_settings_once(
    db: Database, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    _set(db, tenant.account_id, engine="none")
    reads: list[str] = []
    real = speech_settings.for_account

    def counted(**kwargs: object) -> object:
        reads.append(str(kwargs["account_id"]))
        return real(**kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(speech_settings, "for_account", counted)
    resolver = _resolver(db, asr_engine="echo")
    answers = await asyncio.gather(*(resolver.for_account(tenant.account_id) for _ in range(50)))
    again = await resolver.for_account(tenant.account_id)

    assert reads == [tenant.account_id]
    assert all(answer.engine is None for answer in [*answers, again])


async def test_while_the_settings_cannot_be_read_an_account_keeps_its_last_choice_never_the_platforms(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    known, unknown = make_tenant(db, "Known"), make_tenant(db, "Unknown")
    _set(db, known.account_id, engine="none")
    clock = Clock()
    resolver = _resolver(db, clock, asr_engine="echo")
    assert (await resolver.for_account(known.account_id)).engine is None

    def gone(**_kwargs: object) -> None:
        raise OperationalError("SELECT ...", {}, Exception("server closed the connection unexpectedly"))

    monkeypatch.setattr(speech_settings, "for_account", gone)
    clock.now = 100.0
    assert (await resolver.for_account(known.account_id)).engine is None  # not the platform's echo
    assert (await resolver.for_account(unknown.account_id)).engine is None


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"engine": "openai", "base_url": "https://user:secret@asr.example.com/v1"}, "base_url"),
        ({"engine": "fpt", "api_key": "two\nlines"}, "api_key"),
        ({"engine": "fpt", "api_key": "k" * 4001}, "api_key"),
    ],
)
def test_a_key_in_the_url_or_a_key_that_cannot_be_a_header_is_refused(
    db: Database, tenant: Tenant, fields: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        _set(db, tenant.account_id, **fields)
    assert refused.value.details[0]["field"] == field
