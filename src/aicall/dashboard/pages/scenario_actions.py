"""The editor's actions: add, edit, delete, and "listen" (the preview, with its audio).

Changes go through `scenarios.actions` with the API's request schemas, so every link is checked
as the API checks it; the preview is the API's (`preview.sources`, then `preview.render`): the
very words of a call, in the voice of the account's own TTS credentials.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from aicall.dashboard.deps import Csrf, CurrentUser
from aicall.dashboard.i18n import Translator
from aicall.dashboard.pages.scenario_editor import (
    Shown,
    editor_context,
    load_action,
    load_scenario,
    render_editor,
)
from aicall.dashboard.pages.scenario_forms import (
    action_payload,
    flat,
    new_action_payload,
    on_response_inputs,
    place,
)
from aicall.dashboard.reasons import problems
from aicall.dashboard.templating import language_of, render
from aicall.errors import ApiError, ValidationFailed
from aicall.interpreter.script import Script
from aicall.scenarios import actions as action_service
from aicall.scenarios import preview
from aicall.scenarios.schemas import ActionCreate, ActionUpdate, parse
from aicall.speech.selection import VendorCredentials
from aicall.web.deps import AppState, StateDep

router = APIRouter(dependencies=[Csrf], include_in_schema=False)


def _see(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def _editor_again(
    request: Request, state: AppState, user: CurrentUser, scenario_id: str, shown: Shown
) -> Response:
    with state.db.reading() as session:
        scenario = load_scenario(session, user, scenario_id)
        return render_editor(request, session, scenario, shown, status_code=400)


@router.post("/scenarios/{scenario_id}/actions")
async def add_action(request: Request, state: StateDep, user: CurrentUser, scenario_id: str) -> Response:
    """A new action (a menu unless another type is chosen), then the editor with its form open."""
    values = flat(await request.form())
    _ = Translator(language_of(request))
    payload, shown = new_action_payload(values, scenario_id)

    def work() -> Response:
        try:
            with state.db.transaction() as session:
                scenario = load_scenario(session, user, scenario_id)
                action = action_service.create_action(
                    session=session, application_id=scenario.application_id, data=parse(ActionCreate, payload)
                )
                action_id = action.id
        except ApiError as exc:
            errors = place(problems(exc), set(shown), (), _)
            return _editor_again(
                request, state, user, scenario_id, Shown(new_action_values=shown, new_action_errors=errors)
            )
        return _see(f"/scenarios/{scenario_id}?action={action_id}&notice=added#action-{action_id}")

    return await run_in_threadpool(work)


@router.post("/scenarios/{scenario_id}/actions/{action_id}")
async def update_action(
    request: Request, state: StateDep, user: CurrentUser, scenario_id: str, action_id: str
) -> Response:
    """Save one action's form: prompt, keys and where they lead, timeouts, next, transfer."""
    values = flat(await request.form())
    _ = Translator(language_of(request))

    def work() -> Response:
        shown: dict[str, str] = {}
        try:
            with state.db.transaction() as session:
                scenario = load_scenario(session, user, scenario_id)
                action = load_action(session, scenario, action_id)
                payload, shown = action_payload(values, current_type=action.type)
                action_service.update_action(
                    session=session,
                    application_id=scenario.application_id,
                    action_id=action.id,
                    data=parse(ActionUpdate, payload),
                )
        except ApiError as exc:
            found = on_response_inputs(problems(exc), values.get("responseSetting.responseType"))
            errors = place(found, set(shown), ("responses",), _)
            again = Shown(
                open_action=action_id, action_values={action_id: shown}, action_errors={action_id: errors}
            )
            return _editor_again(request, state, user, scenario_id, again)
        return _see(f"/scenarios/{scenario_id}?action={action_id}&notice=saved#action-{action_id}")

    return await run_in_threadpool(work)


@router.post("/scenarios/{scenario_id}/actions/{action_id}/delete")
async def delete_action(
    request: Request, state: StateDep, user: CurrentUser, scenario_id: str, action_id: str
) -> Response:
    """Delete an action nothing leads to (the service refuses otherwise, naming what does)."""
    _ = Translator(language_of(request))

    def work() -> Response:
        try:
            with state.db.transaction() as session:
                scenario = load_scenario(session, user, scenario_id)
                action = load_action(session, scenario, action_id)
                action_service.delete_action(
                    session=session, application_id=scenario.application_id, action_id=action.id
                )
        except ApiError as exc:
            again = Shown(
                open_action=action_id, action_errors={action_id: place(problems(exc), set(), (), _)}
            )
            return _editor_again(request, state, user, scenario_id, again)
        return _see(f"/scenarios/{scenario_id}?notice=deleted")

    return await run_in_threadpool(work)


# --- listen ------------------------------------------------------------------------------------------


def _audio_src(state: AppState, scenario_id: str, key: str) -> str:
    """The preview's audio as this dashboard serves it: a relative link (whatever host the browser
    used), carrying the signature and expiry of the API's signed link."""
    query = urlsplit(preview.audio_url(state.settings, key)).query
    return f"/scenarios/{scenario_id}/audio/{key}.wav?{query}"


@router.post("/scenarios/{scenario_id}/preview")
async def listen(request: Request, state: StateDep, user: CurrentUser, scenario_id: str) -> Response:
    """The words an action says with the sample values, and an <audio> player for them."""
    values = flat(await request.form())
    _ = Translator(language_of(request))
    action_id = values.get("actionId", "")
    samples = {name: value for name, value in values.items() if name.startswith("values.")}

    def script_of() -> tuple[Script, dict[str, VendorCredentials]]:
        with state.db.reading() as session:
            return preview.sources(session, state.box, load_scenario(session, user, scenario_id))

    script, credentials = await run_in_threadpool(script_of)
    shown = Shown(open_action=action_id or None, sample_values=samples)
    status = 200
    try:
        action = script.actions.get(action_id)
        if action is None:
            raise ValidationFailed(f"{action_id!r} is not an action of this scenario", field="actionId")
        given = {name.removeprefix("values."): value for name, value in samples.items()}
        result = await preview.render(
            state.settings, script, action.content_text, given, credentials=credentials
        )
        shown.preview = {
            "action_id": action.id,
            "text": result.text,
            "audio_src": _audio_src(state, scenario_id, result.audio_key) if result.audio_key else None,
            "audio_error": result.audio_error,
        }
    except ApiError as exc:
        shown.sample_errors = place(problems(exc), {*samples, "actionId"}, (), _)
        for f in script.fields:
            # The reader's reason comes from speech/ in English; say which reading type failed.
            name = f"values.{f.key}"
            if name in shown.sample_errors.fields:
                reason = shown.sample_errors.fields[name]
                shown.sample_errors.fields[name] = _(
                    "Không đọc được theo kiểu {type}: {reason}", type=f.reading_type, reason=reason
                )
        status = 400

    def page() -> Response:
        with state.db.reading() as session:
            scenario = load_scenario(session, user, scenario_id)
            if request.headers.get("HX-Request"):
                # htmx swaps the listen panel alone; a 200 so it swaps the errors in too.
                context: dict[str, Any] = editor_context(session, scenario, shown)
                return render(request, "scenarios/_listen.html", context)
            return render_editor(request, session, scenario, shown, status_code=status)

    return await run_in_threadpool(page)


@router.get("/scenarios/{scenario_id}/audio/{key}.wav")
def audio(
    state: StateDep,
    user: CurrentUser,
    scenario_id: str,
    key: str,
    expires: str | None = None,
    signature: str | None = None,
) -> Response:
    """A preview's WAV, for the signed-in user of the scenario's account, while its link is valid."""
    with state.db.reading() as session:
        load_scenario(session, user, scenario_id)
    try:
        path = preview.audio_file(state.settings, key, expires, signature)
    except ApiError:
        return Response(status_code=403)
    return FileResponse(path, media_type="audio/wav", headers={"Cache-Control": "private, max-age=3600"})
