"""Previews: the exact words an action would say to a contact, and that prompt as a WAV file.

The WAV is written into the audio cache (`data_dir/audio`) and handed out as a signed,
expiring link, `/api/v1/public-api/audio/{key}.wav?expires=..&signature=..`: a browser's
`<audio>` element can play it without a bearer token, and a preview (which holds a contact's
name, an amount...) cannot be fetched by anyone who was not given its link.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from aicall.accounts import voice_credentials
from aicall.accounts.secrets_box import SecretBox
from aicall.config import Settings
from aicall.db.engine import Database
from aicall.errors import ApiError, ValidationFailed, field_path
from aicall.interpreter.script import Script
from aicall.scenarios import snapshot
from aicall.scenarios.models import Scenario
from aicall.speech.cache import AudioCache
from aicall.speech.errors import ReadingError, SpeechError, TemplateError
from aicall.speech.prompter import Prompter
from aicall.speech.selection import VendorCredentials
from aicall.speech.template import find_field, render_text, validate_value

log = logging.getLogger(__name__)

AUDIO_ROUTE = "/api/v1/public-api/audio"
LINK_LIFETIME = 3600  # seconds a preview link plays


class AudioLinkInvalid(ApiError):
    code, http_status, message = 403, 403, "Audio link is invalid or has expired"


@dataclass(frozen=True, slots=True)
class Preview:
    text: str
    audio_key: str | None
    audio_error: str | None = None


def audio_directory(settings: Settings) -> Path:
    return settings.data_dir / "audio"


def spoken_text(script: Script, template: str, values: Mapping[str, str]) -> str:
    """The words of `template` for these values; `ValidationFailed` naming the field otherwise."""
    for name, value in values.items():
        field = find_field(name, script.fields)
        if field is None:
            continue  # a value no field uses is kept, as the contacts API keeps it
        reason = validate_value(field, value, script.dialect)
        if reason is not None:
            raise ValidationFailed(
                f"field '{field.name}' ({field.key}) cannot be read as {field.reading_type}: {reason}",
                field=("values", name),
                details=[{"field": field_path(("values", name)), "message": reason}],
            )
    try:
        return render_text(template, script.fields, values, script.dialect)
    except (ReadingError, TemplateError) as exc:
        field_name = getattr(exc, "field", None)
        raise ValidationFailed(str(exc), field=("values", field_name) if field_name else "values") from None


def sources(
    session: Session, box: SecretBox, scenario: Scenario
) -> tuple[Script, dict[str, VendorCredentials]]:
    """What a preview of `scenario` speaks from: its current (draft) script, and its account's own
    TTS vendor credentials by engine name (`accounts.voice_credentials.for_application`), which
    `render` puts over the platform's as calls do. The API's preview and the dashboard's both
    call this, so neither can forget the account's voice."""
    credentials = voice_credentials.for_application(
        session=session, box=box, application_id=scenario.application_id
    )
    return snapshot.build_script(session, scenario), credentials


async def render(
    settings: Settings,
    script: Script,
    template: str,
    values: Mapping[str, str],
    *,
    credentials: Mapping[str, VendorCredentials] | None,
) -> Preview:
    """Text always; audio when a TTS engine can speak it (its failure is reported, not raised).

    `credentials`: the scenario's account's own vendor credentials (from `sources`), over the
    platform's, as on calls; required, so that no caller previews with the platform's voice by
    forgetting them (None says so on purpose)."""
    text = spoken_text(script, template, values)
    if not text:
        return Preview(text="", audio_key=None)
    # The call path's choice of engine and voice, fallbacks included: the preview is what calls say.
    try:
        voices = voice_credentials.voice_engines(settings)
    except ValueError as exc:  # a bad AICALL_TTS_ENGINE: the text still helps
        return Preview(text=text, audio_key=None, audio_error=str(exc))
    try:
        spoken = voices.select(script.voice_code, credentials=credentials)
        prompter = Prompter(
            script.fields,
            dialect=script.dialect,
            engine=spoken.engine,
            voice=spoken.voice,
            speed=script.speed,
            cache=AudioCache(audio_directory(settings)),
            standby=spoken.standby,
        )
        _audio, path = await prompter.render_file(template, values)
    except (SpeechError, OSError) as exc:
        log.warning("preview of scenario %s: no audio: %s", script.scenario_id, exc)
        return Preview(text=text, audio_key=None, audio_error=str(exc))
    finally:
        await voices.aclose()
    return Preview(text=text, audio_key=path.stem)


async def warm(
    settings: Settings, script: Script, *, credentials: Mapping[str, VendorCredentials] | None = None
) -> int:
    """Synthesise the fixed parts of every prompt of `script` into the audio cache the calls
    read (same engine, voice and speed, so the same keys): at approval, a slow neural voice
    is paid for once, before any callee waits. How many parts were new; a failure is logged
    (calls synthesise, or fall back, as they go)."""
    voices = voice_credentials.voice_engines(settings)
    try:
        spoken = voices.select(script.voice_code, credentials=credentials)
        prompter = Prompter(
            script.fields,
            dialect=script.dialect,
            engine=spoken.engine,
            voice=spoken.voice,
            speed=script.speed,
            cache=AudioCache(audio_directory(settings)),
        )
        new = 0
        for action in script.actions.values():
            new += await prompter.warm(action.content_text)
        return new
    except (SpeechError, OSError, ValueError) as exc:
        log.warning("scenario %s: fixed prompt parts not synthesised ahead: %s", script.scenario_id, exc)
        return 0
    finally:
        await voices.aclose()


def warm_approved(*, settings: Settings, db: Database, box: SecretBox, scenario_id: str) -> int:
    """`warm` for a scenario just approved (its approved version, its account's credentials);
    for the reviewer's CLI and pages, after the approval's transaction."""
    with db.reading() as session:
        script = snapshot.load_script(session, scenario_id, allow_unapproved=False)
        application_id = session.scalar(select(Scenario.application_id).where(Scenario.id == scenario_id))
        credentials = (
            voice_credentials.for_application(session=session, box=box, application_id=application_id)
            if application_id
            else {}
        )
    return asyncio.run(warm(settings, script, credentials=credentials))


def warm_in_background(
    *, settings: Settings, db: Database, box: SecretBox, scenario_id: str
) -> threading.Thread:
    """`warm_approved` in a thread of its own, for an approval made over HTTP (the dashboard's
    review, the API's submit of an account that approves its own scenarios): the reviewer or the
    client never waits for a slow neural voice (a whole scenario can take a vendor tens of
    seconds), and not even the next request on the same connection does, as it would after a
    Starlette background task. A daemon thread, so a server stopping does not wait for it: what
    is not cached yet is synthesised by the first call that says it. A failure is logged, never
    the approval's, which is committed before the thread starts. The thread is returned for tests."""

    def run() -> None:
        try:
            new = warm_approved(settings=settings, db=db, box=box, scenario_id=scenario_id)
        except Exception:  # a background thread: nothing above it would report the failure
            log.exception("scenario %s approved; its fixed prompt parts were not synthesised", scenario_id)
            return
        log.info("scenario %s approved: %d fixed prompt parts synthesised ahead", scenario_id, new)

    thread = threading.Thread(target=run, name=f"aicall-warm-{scenario_id}", daemon=True)
    thread.start()
    return thread


def _signing_key(settings: Settings) -> bytes:
    return hashlib.sha256(b"aicall audio links\0" + settings.ensure_secret_key().encode()).digest()


def _signature(settings: Settings, key: str, expires: int) -> str:
    return hmac.new(_signing_key(settings), f"{key}:{expires}".encode(), hashlib.sha256).hexdigest()[:32]


def audio_url(settings: Settings, key: str, *, now: float | None = None) -> str:
    expires = int((now if now is not None else time.time()) + LINK_LIFETIME)
    signature = _signature(settings, key, expires)
    return f"{settings.base_url}{AUDIO_ROUTE}/{key}.wav?expires={expires}&signature={signature}"


def audio_file(
    settings: Settings, key: str, expires: Any, signature: Any, *, now: float | None = None
) -> Path:
    """The cached WAV a signed link names; `AudioLinkInvalid` for a bad, expired or dead link."""
    try:
        deadline = int(expires)
    except (TypeError, ValueError):
        raise AudioLinkInvalid() from None
    # As bytes: compare_digest refuses text with characters outside ASCII (TypeError, a 500).
    if not isinstance(signature, str) or not hmac.compare_digest(
        signature.encode("utf-8", "replace"), _signature(settings, key, deadline).encode()
    ):
        raise AudioLinkInvalid()
    if deadline < (now if now is not None else time.time()):
        raise AudioLinkInvalid()
    try:
        path = AudioCache(audio_directory(settings)).path_for(key)
    except ValueError:
        raise AudioLinkInvalid() from None
    if not path.is_file():
        raise AudioLinkInvalid("Audio is no longer available: preview it again")
    return path
