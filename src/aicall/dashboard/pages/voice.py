"""Voice: the account's own credentials for the neural TTS vendors (Vbee, FPT.AI) and its speech
recogniser, for people who do not use the CLI. Every change goes through the services
`aicall voice` uses (`accounts/voice_credentials.py`, `accounts/speech_settings.py`).

Tokens and keys go in and never come out: the page shows whether one is stored and at most its
last 4 characters; the form fields for them are always empty. Admins change; others look.
URLs typed here must be public addresses (the operator sets private ones with the CLI).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from aicall.accounts import speech_settings, voice_credentials
from aicall.accounts.users import UserRead
from aicall.dashboard import reasons
from aicall.dashboard.deps import Csrf, CurrentUser
from aicall.dashboard.errors import Forbidden
from aicall.dashboard.i18n import Translator
from aicall.dashboard.templating import language_of, render
from aicall.errors import ApiError
from aicall.speech.selection import VENDORS
from aicall.web.deps import AppState, StateDep

router = APIRouter(dependencies=[Csrf], include_in_schema=False)

NOTICE = "voice.notice"
NO_STORE = {"Cache-Control": "no-store"}
Text = Annotated[str, Form()]

# Service field -> form field, so an error shows beside the input it is about.
TTS_FIELDS = {"engine": "tts_engine", "app_id": "tts_app_id", "token": "tts_token", "url": "tts_url"}
ASR_FIELDS = {
    "engine": "asr_engine",
    "base_url": "asr_base_url",
    "api_key": "asr_api_key",
    "model": "asr_model",
    "timeout": "asr_timeout",
}


def _require_admin(user: UserRead) -> None:
    if not user.is_admin:
        raise Forbidden()


def _service_error(_: Translator, exc: ApiError, inputs: dict[str, str], default: str) -> dict[str, str]:
    """The service's reason next to the input of the field it names (`inputs`: service field ->
    form input), in the page's language (`reasons`); one no rule knows after "Không hợp lệ"."""
    field, reason = reasons.problems(exc)[0]
    said = reasons.translate(reason, _)
    return {inputs.get(field or "", default): said if said is not None else f"{_('Không hợp lệ')}: {reason}"}


def _page(
    request: Request,
    state: AppState,
    *,
    user: UserRead,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    with state.db.reading() as session:
        stored = voice_credentials.stored(session=session, box=state.box, account_id=user.account_id)
        asr = speech_settings.read(session=session, box=state.box, account_id=user.account_id)
    if values is None:
        values = {}
        if asr is not None:
            values = {
                "asr_engine": asr.engine,
                "asr_base_url": asr.base_url,
                "asr_model": asr.model,
                "asr_timeout": f"{asr.timeout:g}" if asr.timeout is not None else "",
            }
    context = {
        "stored": stored,
        "vendors": VENDORS,
        "asr": asr,
        "asr_engines": speech_settings.ACCOUNT_ENGINES,
        "platform_asr_engine": state.settings.asr_engine,
        "platform_timeout": state.settings.asr_timeout,
        "timeout_range": (speech_settings.MIN_TIMEOUT, speech_settings.MAX_TIMEOUT),
        "notice": request.session.pop(NOTICE, None),
        "errors": errors or {},
        "values": values,
    }
    return render(request, "voice/page.html", context, status_code=status_code, headers=NO_STORE)


@router.get("/voice")
def voice_page(request: Request, state: StateDep, user: CurrentUser) -> HTMLResponse:
    """The account's TTS vendor credentials and its speech recognition settings."""
    return _page(request, state, user=user)


@router.post("/voice/tts")
def set_tts_credentials(
    request: Request,
    state: StateDep,
    user: CurrentUser,
    tts_engine: Text = "",
    tts_app_id: Text = "",
    tts_token: Text = "",
    tts_url: Text = "",
) -> Response:
    """Store (or replace) one vendor's credentials, as `aicall voice set-credentials` does."""
    _require_admin(user)
    _ = Translator(language_of(request))
    values = {"tts_engine": tts_engine, "tts_app_id": tts_app_id, "tts_url": tts_url}
    try:
        with state.db.transaction() as session:
            voice_credentials.set_credentials(
                session=session,
                box=state.box,
                account_id=user.account_id,
                engine=tts_engine,
                token=tts_token,
                app_id=tts_app_id,
                url=tts_url,
                allow_private=False,
            )
    except ApiError as exc:
        errors = _service_error(_, exc, TTS_FIELDS, "tts_engine")
        return _page(request, state, user=user, errors=errors, values=values, status_code=400)
    request.session[NOTICE] = _("Đã lưu thông tin xác thực {vendor}.", vendor=tts_engine.strip().lower())
    return RedirectResponse("/voice#tts", status_code=303)


@router.post("/voice/tts/remove")
def remove_tts_credentials(
    request: Request, state: StateDep, user: CurrentUser, engine: Text = ""
) -> Response:
    """Forget one vendor's credentials: the platform's apply again."""
    _require_admin(user)
    _ = Translator(language_of(request))
    with state.db.transaction() as session:
        removed = voice_credentials.remove_credentials(
            session=session, account_id=user.account_id, engine=engine
        )
    if removed:
        request.session[NOTICE] = _("Đã xóa thông tin xác thực {vendor}.", vendor=engine.strip().lower())
    return RedirectResponse("/voice#tts", status_code=303)


def _seconds(raw: str) -> float | None:
    """ "" -> None (the platform's); "8" or "7,5" -> seconds; ValueError otherwise."""
    text = raw.strip().replace(",", ".")
    return float(text) if text else None


@router.post("/voice/asr")
def set_asr(
    request: Request,
    state: StateDep,
    user: CurrentUser,
    asr_engine: Text = "",
    asr_base_url: Text = "",
    asr_api_key: Text = "",
    asr_remove_key: Text = "",
    asr_model: Text = "",
    asr_timeout: Text = "",
) -> Response:
    """Store the account's recogniser settings, as `aicall voice set-asr` does; an empty key
    field keeps the stored key (the remove box forgets it)."""
    _require_admin(user)
    _ = Translator(language_of(request))
    values = {
        "asr_engine": asr_engine,
        "asr_base_url": asr_base_url,
        "asr_model": asr_model,
        "asr_timeout": asr_timeout,
    }
    try:
        timeout = _seconds(asr_timeout)
    except ValueError:
        low, high = speech_settings.MIN_TIMEOUT, speech_settings.MAX_TIMEOUT
        errors = {"asr_timeout": _("Hãy nhập số giây từ {low:g} đến {high:g}.", low=low, high=high)}
        return _page(request, state, user=user, errors=errors, values=values, status_code=400)
    api_key: str | None = asr_api_key.strip() or None
    if asr_remove_key:
        api_key = ""
    try:
        with state.db.transaction() as session:
            speech_settings.set_asr(
                session=session,
                box=state.box,
                account_id=user.account_id,
                engine=asr_engine,
                base_url=asr_base_url,
                api_key=api_key,
                model=asr_model,
                timeout=timeout,
                allow_private=False,
            )
    except ApiError as exc:
        errors = _service_error(_, exc, ASR_FIELDS, "asr_engine")
        return _page(request, state, user=user, errors=errors, values=values, status_code=400)
    request.session[NOTICE] = _(
        "Đã lưu cài đặt nhận dạng giọng nói. Cuộc gọi mới dùng cài đặt này trong vòng 15 giây."
    )
    return RedirectResponse("/voice#asr", status_code=303)


@router.post("/voice/asr/clear")
def clear_asr(request: Request, state: StateDep, user: CurrentUser) -> Response:
    """Forget the account's recogniser settings: the platform's apply again."""
    _require_admin(user)
    _ = Translator(language_of(request))
    with state.db.transaction() as session:
        speech_settings.clear_asr(session=session, account_id=user.account_id)
    request.session[NOTICE] = _("Đã trở về cài đặt nhận dạng của nền tảng.")
    return RedirectResponse("/voice#asr", status_code=303)
