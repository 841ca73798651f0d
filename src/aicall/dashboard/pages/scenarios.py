"""Scenario pages: the list and "new scenario" form, the editor's settings, submission and review
(an approval also synthesises the scenario's fixed prompt parts, in the background).

Every change goes through the services the public API uses (`scenarios.service`, with the same
request schemas), so a form can do nothing the API would refuse; the services' errors come back
next to the fields they name. Actions and the preview are in `scenario_actions`.
"""

from __future__ import annotations

import logging
import threading

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from aicall.dashboard.deps import Csrf, CurrentUser
from aicall.dashboard.errors import Forbidden
from aicall.dashboard.i18n import Translator
from aicall.dashboard.pages.scenario_editor import (
    READING_TYPES,
    Shown,
    action_refs,
    load_scenario,
    render_editor,
)
from aicall.dashboard.pages.scenario_forms import (
    FormErrors,
    action_values,
    flat,
    place,
    row_count,
    scenario_payload,
    split_by_action,
)
from aicall.dashboard.reasons import explain, problems
from aicall.dashboard.templating import language_of, render
from aicall.errors import ApiError
from aicall.scenarios import actions as action_service
from aicall.scenarios import overview, preview
from aicall.scenarios import service as scenario_service
from aicall.scenarios.models import ScenarioStatus
from aicall.scenarios.schemas import ScenarioCreate, ScenarioUpdate, parse
from aicall.speech.voices import DEFAULT_VOICE_CODE, KNOWN_VOICES
from aicall.web.deps import AppState, StateDep

log = logging.getLogger(__name__)
router = APIRouter(dependencies=[Csrf], include_in_schema=False)

NEW_SCENARIO_DEFAULTS = {
    "ttsConfig.voiceCode": DEFAULT_VOICE_CODE,
    "ttsConfig.speed": "1",
    "dialect": "north",
}


def _see(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


# --- the list, and a new scenario ----------------------------------------------------------------


def _list_page(
    request: Request,
    state: AppState,
    user: CurrentUser,
    *,
    values: dict[str, str] | None = None,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    with state.db.reading() as session:
        rows = overview.list_for_account(session, account_id=user.account_id)
        applications = overview.applications(session, account_id=user.account_id)
    shown = values if values is not None else dict(NEW_SCENARIO_DEFAULTS)
    found = errors or FormErrors()
    return render(
        request,
        "scenarios/list.html",
        {
            "scenarios": rows,
            "applications": applications,
            "values": shown,
            "errors": found.fields,
            "form_error": " ".join(found.general) or None,
            "field_count": max(row_count(shown, "personalizedFields"), 3),
            "application_options": [(a.id, a.name) for a in applications],
            "voice_options": [(voice, voice) for voice in KNOWN_VOICES],
            "reading_types": READING_TYPES,
            "notice": request.query_params.get("notice"),
        },
        status_code=status_code,
    )


@router.get("/scenarios")
def scenarios(request: Request, state: StateDep, user: CurrentUser) -> HTMLResponse:
    """Every scenario of the user's account (all its applications), and the "new scenario" form."""
    return _list_page(request, state, user)


@router.post("/scenarios")
async def create_scenario(request: Request, state: StateDep, user: CurrentUser) -> Response:
    """Create a DRAFT scenario (with its root and empty `start` menu), then open it in the editor."""
    values = flat(await request.form())
    _ = Translator(language_of(request))
    payload, shown = scenario_payload(values, creating=True)

    def work() -> Response:
        try:
            with state.db.transaction() as session:
                choices = {a.id for a in overview.applications(session, account_id=user.account_id)}
                application_id = values.get("applicationId", "")
                if application_id not in choices:
                    errors = FormErrors(fields={"applicationId": _("Chọn một ứng dụng của tài khoản.")})
                    return _list_page(request, state, user, values=shown, errors=errors, status_code=400)
                scenario = scenario_service.create_scenario(
                    session=session, application_id=application_id, data=parse(ScenarioCreate, payload)
                )
                scenario_id = scenario.id
        except ApiError as exc:
            errors = place(problems(exc), set(shown), ("personalizedFields",), _)
            return _list_page(request, state, user, values=shown, errors=errors, status_code=400)
        return _see(f"/scenarios/{scenario_id}?notice=created")

    return await run_in_threadpool(work)


# --- the editor ------------------------------------------------------------------------------------


@router.get("/scenarios/{scenario_id}")
def editor(
    request: Request, state: StateDep, user: CurrentUser, scenario_id: str, action: str | None = None
) -> HTMLResponse:
    """The editor: the action graph drawn, each action's form, settings, listen, review."""
    with state.db.reading() as session:
        scenario = load_scenario(session, user, scenario_id)
        return render_editor(request, session, scenario, Shown(open_action=action))


@router.post("/scenarios/{scenario_id}")
async def update_scenario(request: Request, state: StateDep, user: CurrentUser, scenario_id: str) -> Response:
    """Save the settings form: name, description, voice, speed, dialect, personalised fields."""
    values = flat(await request.form())
    _ = Translator(language_of(request))
    payload, shown = scenario_payload(values, creating=False)

    def work() -> Response:
        try:
            with state.db.transaction() as session:
                scenario = load_scenario(session, user, scenario_id)
                scenario_service.update_scenario(
                    session=session,
                    application_id=scenario.application_id,
                    scenario_id=scenario.id,
                    data=parse(ScenarioUpdate, payload),
                )
        except ApiError as exc:
            errors = place(problems(exc), set(shown), ("personalizedFields",), _)
            return _editor_again(
                request, state, user, scenario_id, Shown(settings_values=shown, settings_errors=errors)
            )
        return _see(f"/scenarios/{scenario_id}?notice=saved")

    return await run_in_threadpool(work)


def _editor_again(
    request: Request, state: AppState, user: CurrentUser, scenario_id: str, shown: Shown
) -> HTMLResponse:
    """The editor once more, after a form that failed (its transaction rolled back)."""
    with state.db.reading() as session:
        scenario = load_scenario(session, user, scenario_id)
        return render_editor(request, session, scenario, shown, status_code=400)


@router.post("/scenarios/{scenario_id}/delete")
async def delete_scenario(request: Request, state: StateDep, user: CurrentUser, scenario_id: str) -> Response:
    """Delete the scenario; refused while a running or paused campaign uses it."""
    _ = Translator(language_of(request))

    def work() -> Response:
        try:
            with state.db.transaction() as session:
                scenario = load_scenario(session, user, scenario_id)
                scenario_service.delete_scenario(
                    session=session, application_id=scenario.application_id, scenario_id=scenario.id
                )
        except ApiError as exc:
            messages = [explain(reason, _) for _path, reason in problems(exc)]
            return _editor_again(request, state, user, scenario_id, Shown(submit_errors=messages))
        return _see("/scenarios?notice=deleted")

    return await run_in_threadpool(work)


# --- review ----------------------------------------------------------------------------------------


def _review_failed(
    request: Request, state: AppState, user: CurrentUser, scenario_id: str, exc: ApiError
) -> HTMLResponse:
    """Every problem of a submission or approval: in a list at the top, and next to its field."""
    _ = Translator(language_of(request))
    found = problems(exc)
    with state.db.reading() as session:
        scenario = load_scenario(session, user, scenario_id)
        actions = action_service.list_actions(
            session=session, application_id=scenario.application_id, scenario_id=scenario.id
        )
        by_action, rest = split_by_action(found, action_refs(actions))
        names = {a.id: a.label or a.type for a in actions}
        shown = Shown()
        for action in actions:
            if action.id in by_action:
                inputs = set(action_values(action))
                shown.action_errors[action.id] = place(by_action[action.id], inputs, ("responses",), _)
        settings_inputs = {
            path
            for path, _reason in rest
            if path and path.startswith(("personalizedFields", "ttsConfig", "dialect"))
        }
        shown.settings_errors = place([p for p in rest if p[0] in settings_inputs], settings_inputs, (), _)
        shown.submit_errors = [
            f"{names[action_id]}: {explain(reason, _)}"
            for action_id, items in by_action.items()
            for _p, reason in items
        ] + [explain(reason, _) for _path, reason in rest]
        return render_editor(request, session, scenario, shown, status_code=400)


@router.post("/scenarios/{scenario_id}/submit")
async def submit(request: Request, state: StateDep, user: CurrentUser, scenario_id: str) -> Response:
    """DRAFT -> REVIEWING (ACTIVE at once for accounts that approve their own scenarios)."""

    def work() -> Response:
        try:
            with state.db.transaction() as session:
                scenario = load_scenario(session, user, scenario_id)
                submitted = scenario_service.submit(
                    session=session, application_id=scenario.application_id, scenario_id=scenario.id
                )
                approved = submitted.status == ScenarioStatus.ACTIVE.value  # the account approves its own
        except ApiError as exc:
            return _review_failed(request, state, user, scenario_id, exc)
        if approved:
            warm_in_background(state, scenario_id)
        return _see(f"/scenarios/{scenario_id}?notice=submitted")

    return await run_in_threadpool(work)


def warm_in_background(state: AppState, scenario_id: str) -> threading.Thread:
    """The approved scenario's fixed prompt parts into the audio cache, off the request
    (`preview.warm_in_background`, shared with the API's submit)."""
    return preview.warm_in_background(
        settings=state.settings, db=state.db, box=state.box, scenario_id=scenario_id
    )


def _require_admin(state: AppState, user: CurrentUser, scenario_id: str) -> None:
    # The scenario first: another account's id is a 404 for admins and others alike.
    with state.db.reading() as session:
        load_scenario(session, user, scenario_id)
    if not user.is_admin:
        raise Forbidden()


@router.post("/scenarios/{scenario_id}/approve")
async def approve(request: Request, state: StateDep, user: CurrentUser, scenario_id: str) -> Response:
    """REVIEWING -> ACTIVE (administrators only): this version is what calls run from now on."""

    def work() -> Response:
        _require_admin(state, user, scenario_id)
        try:
            with state.db.transaction() as session:
                scenario_service.approve(session=session, scenario_id=scenario_id)
        except ApiError as exc:
            return _review_failed(request, state, user, scenario_id, exc)
        warm_in_background(state, scenario_id)
        return _see(f"/scenarios/{scenario_id}?notice=approved")

    return await run_in_threadpool(work)


@router.post("/scenarios/{scenario_id}/reject")
async def reject(request: Request, state: StateDep, user: CurrentUser, scenario_id: str) -> Response:
    """REVIEWING -> REJECT with the reviewer's reason (administrators only)."""
    values = flat(await request.form())
    _ = Translator(language_of(request))

    def work() -> Response:
        _require_admin(state, user, scenario_id)
        try:
            with state.db.transaction() as session:
                scenario_service.reject(
                    session=session, scenario_id=scenario_id, reason=values.get("reason", "")
                )
        except ApiError as exc:
            shown = Shown(
                review_values={"reason": values.get("reason", "")},
                review_errors=place(problems(exc), {"reason"}, (), _),
            )
            return _editor_again(request, state, user, scenario_id, shown)
        return _see(f"/scenarios/{scenario_id}?notice=rejected")

    return await run_in_threadpool(work)
