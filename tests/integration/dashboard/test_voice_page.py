"""The voice page over real HTTP, on SQLite and PostgreSQL: an account's TTS vendor credentials
and its speech recogniser are set through the services `aicall voice` uses; keys are sealed and
never shown back (at most their last 4 characters); bad input is refused next to its field;
members look, admins change."""

from __future__ import annotations

import requests
from sqlalchemy import select

from aicall.accounts import speech_settings, voice_credentials
from aicall.accounts.secrets_box import SecretBox
from aicall.accounts.speech_settings import AccountSpeechSettings
from tests.integration.dashboard import test_admin_pages
from tests.integration.dashboard.test_admin_pages import People, field_error, input_value, location
from tests.integration.support import SECRET_KEY

BOX = SecretBox(SECRET_KEY)
people = test_admin_pages.people  # the signed-in admin, member and stranger (a fixture)
ASR_KEY = "sk-dashboard-key-41b7"
PUBLIC_ASR = "https://93.184.216.34/v1"  # a public address: no DNS, accepted by the guard


def _asr(people: People, **form: str) -> requests.Response:
    base = {"asr_engine": "openai", "asr_base_url": PUBLIC_ASR, "asr_api_key": ASR_KEY, "asr_timeout": "8"}
    return people.admin.post("/voice/asr", {**base, **form})


def test_an_admin_sets_the_accounts_recogniser_and_the_key_is_sealed_and_never_shown(people: People) -> None:
    assert location(_asr(people)) == "/voice#asr"
    page = people.admin.get("/voice").text
    with people.db.reading() as session:
        row = session.scalars(select(AccountSpeechSettings)).one()
        own = speech_settings.for_account(session=session, box=BOX, account_id=people.tenant.account_id)
    assert row.account_id == people.tenant.account_id and ASR_KEY not in row.asr_api_key_encrypted
    assert own is not None and (own.engine, own.base_url, own.api_key, own.timeout) == (
        "openai",
        PUBLIC_ASR,
        ASR_KEY,
        8.0,
    )
    assert ASR_KEY not in page and row.asr_api_key_encrypted not in page
    assert "…41b7" in page and input_value(page, "asr_api_key") == ""
    assert input_value(page, "asr_base_url") == PUBLIC_ASR
    # Another account's page still shows the platform's recogniser.
    assert "Của nền tảng (echo)" in people.stranger.get("/voice").text


def test_saving_again_with_an_empty_key_field_keeps_the_key_and_the_box_removes_it(people: People) -> None:
    location(_asr(people))
    location(_asr(people, asr_api_key="", asr_timeout="12"))
    with people.db.reading() as session:
        own = speech_settings.for_account(session=session, box=BOX, account_id=people.tenant.account_id)
    assert own is not None and own.api_key == ASR_KEY and own.timeout == 12
    location(_asr(people, asr_api_key="", asr_remove_key="1"))
    with people.db.reading() as session:
        own = speech_settings.for_account(session=session, box=BOX, account_id=people.tenant.account_id)
    assert own is not None and own.api_key == ""
    location(people.admin.post("/voice/asr/clear"))
    assert "Của nền tảng (echo)" in people.admin.get("/voice").text


def test_a_private_address_a_bad_timeout_and_a_missing_url_are_refused_next_to_their_fields(
    people: People,
) -> None:
    loopback = _asr(people, asr_base_url="http://127.0.0.1:8000/v1")
    assert loopback.status_code == 400
    assert "aicall voice" in field_error(loopback.text, "asr_base_url")
    assert input_value(loopback.text, "asr_base_url") == "http://127.0.0.1:8000/v1"
    assert ASR_KEY not in loopback.text
    slow = _asr(people, asr_timeout="90")
    assert slow.status_code == 400 and "60" in field_error(slow.text, "asr_timeout")
    words = _asr(people, asr_timeout="soon")
    assert words.status_code == 400 and field_error(words.text, "asr_timeout")
    no_url = _asr(people, asr_base_url="")
    assert no_url.status_code == 400 and field_error(no_url.text, "asr_base_url")
    with people.db.reading() as session:
        assert session.scalars(select(AccountSpeechSettings)).first() is None


def test_vbee_credentials_are_stored_sealed_shown_by_their_last_four_and_removed(people: People) -> None:
    token = "vbee-token-secret-90ad"
    form = {"tts_engine": "vbee", "tts_app_id": "app-7", "tts_token": token, "tts_url": ""}
    assert location(people.admin.post("/voice/tts", form)) == "/voice#tts"
    page = people.admin.get("/voice").text
    with people.db.reading() as session:
        opened = voice_credentials.for_account(session=session, box=BOX, account_id=people.tenant.account_id)
    assert opened["vbee"].token == token and opened["vbee"].app_id == "app-7"
    assert token not in page and "…90ad" in page and 'data-vendor="vbee"' in page
    refused = people.admin.post("/voice/tts", {**form, "tts_app_id": ""})
    assert refused.status_code == 400 and field_error(refused.text, "tts_app_id")
    private = people.admin.post("/voice/tts", {**form, "tts_url": "http://10.0.0.5/api/v1/tts"})
    assert private.status_code == 400 and field_error(private.text, "tts_url")
    location(people.admin.post("/voice/tts/remove", {"engine": "vbee"}))
    with people.db.reading() as session:
        assert (
            voice_credentials.for_account(session=session, box=BOX, account_id=people.tenant.account_id) == {}
        )


def test_members_see_the_page_but_only_admins_change_it(people: People) -> None:
    page = people.member.get("/voice")
    assert page.status_code == 200 and 'id="asr-form"' not in page.text
    assert people.member.post("/voice/asr", {"asr_engine": "none"}).status_code == 403
    assert people.member.post("/voice/tts", {"tts_engine": "fpt", "tts_token": "x"}).status_code == 403
    with people.db.reading() as session:
        assert session.scalars(select(AccountSpeechSettings)).first() is None
