"""Public API: scenarios and their actions (CONTRACT §3), previews and their audio."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from aicall.errors import ApiError, ValidationFailed
from aicall.idempotency import service as idempotency
from aicall.scenarios import actions as action_service
from aicall.scenarios import flows, preview
from aicall.scenarios import service as scenario_service
from aicall.scenarios.api_models import (
    ActionPage,
    ActionRead,
    Deleted,
    PreviewRead,
    ResumeResult,
    ScenarioPage,
    ScenarioRead,
    ScenarioResume,
    SubmitAnswer,
    scenario_example,
)
from aicall.scenarios.models import ScenarioStatus
from aicall.scenarios.schemas import (
    SCENARIO_FIELDS,
    ActionCreate,
    ActionUpdate,
    PreviewRequest,
    ScenarioCreate,
    ScenarioUpdate,
    actions_out,
    parse,
    parse_fields,
    scenario_out,
)
from aicall.web.deps import AppState, CurrentApp, JsonBody, StateDep
from aicall.web.envelope import ok
from aicall.web.openapi import (
    IDEMPOTENCY_KEY,
    MAX_OFFSET,
    WAV,
    Envelope,
    answers,
    body,
    paging,
    parameters,
    query,
)

log = logging.getLogger(__name__)

DEFAULT_LIMIT = 10
MAX_LIMIT = 50
# A scenario's actions come whole by default (clients that know no paging read one list),
# up to a page of 200.
DEFAULT_ACTIONS_LIMIT = 200
MAX_ACTIONS_LIMIT = 200
# `?fields=`: names of scenario fields, snake_case or camelCase, comma separated.
FIELDS_PATTERN = "^(" + "|".join(SCENARIO_FIELDS) + ")(,(" + "|".join(SCENARIO_FIELDS) + "))*$"
ACTION_EXAMPLE = {
    "scenarioId": "65252610c41c5b7fbb84e6d3",
    "label": "confirm",
    "type": "INTERACTIVE_MENU",
    "contentType": "TEXT",
    "contentText": "Chào {{danh_xung}} {{ho_ten}}, khoản nợ {{so_tien}}. Bấm 1 để xác nhận.",
    "responseSetting": {"responseType": "KEYPAD", "timeout": 8},
}
SCENARIO_EXAMPLE = {
    "name": "Nhắc nợ",
    "ttsConfig": {"voiceCode": "hn_female_ngochuyen_full_48k-fhg"},
    "callConfig": {"poolHotlineKey": "POOL_SYSTEM"},
    "personalizedFields": [
        {"name": "Họ tên", "readingType": "TEXT"},
        {"name": "Số tiền", "readingType": "CURRENCY"},
    ],
}


class _Route(APIRoute):
    """CONTRACT §3: an unexpected fault answers 9999 "Unknown error" in the envelope."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except (ApiError, HTTPException, RequestValidationError):
                raise
            except Exception as exc:
                log.exception("unexpected error on %s %s", request.method, request.url.path)
                raise ApiError() from exc

        return guarded


router = APIRouter(prefix="/api/v1/public-api", tags=["scenarios"], route_class=_Route)


def _in_transaction(state: AppState, work: Callable[..., Any], **kwargs: Any) -> Any:
    with state.db.transaction() as session:
        return work(session=session, **kwargs)


def _reading(state: AppState, work: Callable[..., Any], **kwargs: Any) -> Any:
    with state.db.reading() as session:
        return work(session=session, **kwargs)


# --- scenarios -------------------------------------------------------------------------------


@router.post(
    "/scenarios",
    summary="Create a scenario (with its OUTBOUND_CALL root and `start` menu)",
    **answers(Envelope[ScenarioRead], example={"status": 1, "result": scenario_example()}),
    **body(ScenarioCreate, examples={"debt reminder": SCENARIO_EXAMPLE}),
)
async def create_scenario(state: StateDep, app: CurrentApp, payload: JsonBody) -> dict[str, Any]:
    data = parse(ScenarioCreate, payload)

    def work(*, session: Any) -> dict[str, Any]:
        scenario = scenario_service.create_scenario(
            session=session, application_id=app.application_id, data=data
        )
        return scenario_out(scenario)

    return ok(await run_in_threadpool(_in_transaction, state, work))


@router.get(
    "/scenarios",
    summary="List scenarios: ?status=&fields=&limit=&offset=",
    **answers(Envelope[ScenarioPage]),
    **parameters(
        query("status", {"enum": [s.value for s in ScenarioStatus]}, "only scenarios in this status"),
        query(
            "fields",
            {"type": "string", "pattern": FIELDS_PATTERN},
            "comma list of the fields to return (`id` always comes back)",
        ),
        *paging(DEFAULT_LIMIT, MAX_LIMIT),
    ),
)
async def list_scenarios(
    state: StateDep,
    app: CurrentApp,
    status: str | None = None,
    fields: str | None = None,
    limit: str | None = None,
    offset: str | None = None,
) -> dict[str, Any]:
    wanted_status = _status(status)
    chosen = parse_fields(fields)
    page_size = _integer("limit", limit, DEFAULT_LIMIT, low=1, high=MAX_LIMIT)
    skip = _integer("offset", offset, 0, low=0, high=MAX_OFFSET)

    def work(*, session: Any) -> dict[str, Any]:
        scenarios, total = scenario_service.list_scenarios(
            session=session,
            application_id=app.application_id,
            status=wanted_status,
            limit=page_size,
            offset=skip,
        )
        rows = [scenario_out(s) for s in scenarios]
        if chosen is not None:
            rows = [{name: row[name] for name in chosen} for row in rows]
        return {"scenarios": rows, "total_count": total}

    return ok(await run_in_threadpool(_reading, state, work))


def _status(raw: str | None) -> str | None:
    if raw is None or not raw.strip():
        return None
    value = raw.strip().upper()
    if value not in {s.value for s in ScenarioStatus}:
        choices = ", ".join(s.value for s in ScenarioStatus)
        raise ValidationFailed(f"unknown status {raw!r}; expected one of {choices}", field="status")
    return value


def _integer(name: str, raw: str | None, default: int, *, low: int, high: int | None) -> int:
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationFailed(f"{raw!r} is not a whole number", field=name) from None
    if value < low:
        raise ValidationFailed(f"must be at least {low}, not {value}", field=name)
    if high is not None and value > high:
        raise ValidationFailed(f"must be at most {high}, not {value}", field=name)
    return value


@router.get("/scenarios/{scenario_id}", summary="Read a scenario", **answers(Envelope[ScenarioRead], 404))
async def get_scenario(state: StateDep, app: CurrentApp, scenario_id: str) -> dict[str, Any]:
    def work(*, session: Any) -> dict[str, Any]:
        return scenario_out(
            scenario_service.get_scenario(
                session=session, application_id=app.application_id, scenario_id=scenario_id
            )
        )

    return ok(await run_in_threadpool(_reading, state, work))


@router.put(
    "/scenarios/{scenario_id}",
    summary="Change the fields named; the others stay",
    **answers(Envelope[ScenarioRead], 404, 409),
    **body(
        ScenarioUpdate,
        examples={
            "rename, read numbers the southern way": {"name": "Nhắc nợ (miền Nam)", "dialect": "south"}
        },
    ),
)
async def update_scenario(
    state: StateDep, app: CurrentApp, scenario_id: str, payload: JsonBody
) -> dict[str, Any]:
    data = parse(ScenarioUpdate, payload)

    def work(*, session: Any) -> dict[str, Any]:
        scenario = scenario_service.update_scenario(
            session=session, application_id=app.application_id, scenario_id=scenario_id, data=data
        )
        return scenario_out(scenario)

    return ok(await run_in_threadpool(_in_transaction, state, work))


@router.delete(
    "/scenarios/{scenario_id}",
    summary="Delete a scenario no running campaign uses",
    **answers(Envelope[Deleted], 404, 409),
)
async def delete_scenario(state: StateDep, app: CurrentApp, scenario_id: str) -> dict[str, Any]:
    def work(*, session: Any) -> None:
        scenario_service.delete_scenario(
            session=session, application_id=app.application_id, scenario_id=scenario_id
        )

    await run_in_threadpool(_in_transaction, state, work)
    return ok({"id": scenario_id, "deleted": True})


@router.post(
    "/scenarios/{scenario_id}/submit",
    summary="Ask for approval (DRAFT -> REVIEWING)",
    **answers(SubmitAnswer, 404),
)
async def submit_scenario(state: StateDep, app: CurrentApp, scenario_id: str) -> dict[str, Any]:
    def work(*, session: Any) -> str:
        scenario = scenario_service.submit(
            session=session, application_id=app.application_id, scenario_id=scenario_id
        )
        return scenario.status

    status = await run_in_threadpool(_in_transaction, state, work)
    if status == ScenarioStatus.ACTIVE.value:  # approved at once: its fixed parts into the cache
        preview.warm_in_background(
            settings=state.settings, db=state.db, box=state.box, scenario_id=scenario_id
        )
    # AICall's exact answer; `scenario_status` is ours (ACTIVE at once for self-approving accounts).
    return {"message": "success", "status": 1, "scenario_status": status}


@router.post(
    "/scenarios/{scenario_id}/resume",
    summary="Call these contacts with the scenario",
    description="The contacts join the scenario's default campaign (made when there is none) "
    "and it is started or resumed.",
    **answers(Envelope[ResumeResult], 404, 409),
    **body(
        ScenarioResume,
        examples={"one contact": {"contacts": [{"phone_number": "0987654321", "ho_ten": "David Thiêm"}]}},
        parameters=[IDEMPOTENCY_KEY],
    ),
)
async def resume_scenario(
    state: StateDep,
    app: CurrentApp,
    scenario_id: str,
    payload: JsonBody,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> dict[str, Any]:
    key = idempotency.check_key(idempotency_key)
    answer: dict[str, Any] = await run_in_threadpool(
        flows.resume,
        db=state.db,
        application_id=app.application_id,
        account_id=app.account_id,
        scenario_id=scenario_id,
        payload=payload,
        idempotency_key=key,
        max_contacts=state.settings.max_contacts_per_request,
        region=state.settings.default_region,
    )
    return answer


@router.post(
    "/scenarios/{scenario_id}/preview",
    summary="The words and audio of one action for given values",
    **answers(Envelope[PreviewRead], 404),
    **body(
        PreviewRequest,
        examples={
            "a menu with values": {
                "actionId": "65252610c41c5b7fbb84e6d5",
                "values": {"ho_ten": "Lan", "so_tien": 1500000},
            }
        },
    ),
)
async def preview_action(
    state: StateDep, app: CurrentApp, scenario_id: str, payload: JsonBody
) -> dict[str, Any]:
    data = parse(PreviewRequest, payload)

    def work(*, session: Any) -> Any:
        scenario = scenario_service.get_scenario(
            session=session, application_id=app.application_id, scenario_id=scenario_id
        )
        return preview.sources(session, state.box, scenario)  # as the dashboard's preview

    script, credentials = await run_in_threadpool(_reading, state, work)
    action = script.actions.get(data.action_id)
    if action is None:
        raise ValidationFailed(f"{data.action_id!r} is not an action of this scenario", field="actionId")
    values = {name: str(value) for name, value in data.values.items()}
    result = await preview.render(
        state.settings, script, action.content_text, values, credentials=credentials
    )
    body: dict[str, Any] = {
        "action_id": action.id,
        "text": result.text,
        "audio_url": preview.audio_url(state.settings, result.audio_key) if result.audio_key else None,
    }
    if result.audio_error:
        body["audio_error"] = result.audio_error
    return ok(body)


@router.get(
    "/audio/{key}.wav",
    summary="A preview's WAV file (signed link, no token needed)",
    response_class=FileResponse,
    responses={200: {"description": "8 kHz WAV", "content": WAV}, 403: {}, 404: {}},
)
async def audio(
    state: StateDep, key: str, expires: str | None = None, signature: str | None = None
) -> FileResponse:
    path = preview.audio_file(state.settings, key, expires, signature)
    return FileResponse(path, media_type="audio/wav", headers={"Cache-Control": "private, max-age=3600"})


# --- actions ---------------------------------------------------------------------------------


@router.get(
    "/scenario-actions",
    summary="List a scenario's actions: ?scenarioId=&limit=&offset=",
    description="`result` is the page of actions (a list, as AICall answers); `total_count`, beside "
    "it, counts them all.",
    **answers(ActionPage, 404),
    **parameters(
        query("scenarioId", {"type": "string", "minLength": 1}, "the scenario", required=True),
        *paging(DEFAULT_ACTIONS_LIMIT, MAX_ACTIONS_LIMIT),
    ),
)
async def list_actions(state: StateDep, app: CurrentApp, request: Request) -> dict[str, Any]:
    scenario_id = request.query_params.get("scenarioId") or request.query_params.get("scenario_id")
    if not scenario_id:
        raise ValidationFailed.sentence("scenarioId", "is required")
    params = request.query_params
    page_size = _integer("limit", params.get("limit"), DEFAULT_ACTIONS_LIMIT, low=1, high=MAX_ACTIONS_LIMIT)
    skip = _integer("offset", params.get("offset"), 0, low=0, high=MAX_OFFSET)

    def work(*, session: Any) -> tuple[list[dict[str, Any]], int]:
        rows = action_service.list_actions(
            session=session, application_id=app.application_id, scenario_id=scenario_id
        )
        # Inputs are found across the whole graph, then the page is cut from it.
        return actions_out(rows)[skip : skip + page_size], len(rows)

    page, total = await run_in_threadpool(_reading, state, work)
    return ok(page, total_count=total)


def _one_action(session: Any, application_id: str, action_id: str) -> dict[str, Any]:
    scenario, _action = action_service.get_action(
        session=session, application_id=application_id, action_id=action_id
    )
    rows = action_service.list_actions(
        session=session, application_id=application_id, scenario_id=scenario.id
    )
    return next(body for body in actions_out(rows) if body["id"] == action_id)


@router.get("/scenario-actions/{action_id}", summary="Read one action", **answers(Envelope[ActionRead], 404))
async def get_action(state: StateDep, app: CurrentApp, action_id: str) -> dict[str, Any]:
    def work(*, session: Any) -> dict[str, Any]:
        return _one_action(session, app.application_id, action_id)

    return ok(await run_in_threadpool(_reading, state, work))


@router.post(
    "/scenario-actions",
    summary="Create an action",
    **answers(Envelope[ActionRead], 404, 409),
    **body(ActionCreate, examples={"a keypad menu": ACTION_EXAMPLE}),
)
async def create_action(state: StateDep, app: CurrentApp, payload: JsonBody) -> dict[str, Any]:
    data = parse(ActionCreate, payload)

    def work(*, session: Any) -> dict[str, Any]:
        action = action_service.create_action(session=session, application_id=app.application_id, data=data)
        return _one_action(session, app.application_id, action.id)

    return ok(await run_in_threadpool(_in_transaction, state, work))


@router.put(
    "/scenario-actions/{action_id}",
    summary="Change the fields named; `responses` replaces the list",
    **answers(Envelope[ActionRead], 404, 409),
    **body(
        ActionUpdate,
        examples={
            "key 1 leads to another action": {
                "responses": [{"keyPadMatch": "1", "nextActionId": "65252610c41c5b7fbb84e6d6"}]
            }
        },
    ),
)
async def update_action(
    state: StateDep, app: CurrentApp, action_id: str, payload: JsonBody
) -> dict[str, Any]:
    data = parse(ActionUpdate, payload)

    def work(*, session: Any) -> dict[str, Any]:
        action_service.update_action(
            session=session, application_id=app.application_id, action_id=action_id, data=data
        )
        return _one_action(session, app.application_id, action_id)

    return ok(await run_in_threadpool(_in_transaction, state, work))


@router.delete(
    "/scenario-actions/{action_id}",
    summary="Delete an action nothing links to",
    **answers(Envelope[Deleted], 404, 409),
)
async def delete_action(state: StateDep, app: CurrentApp, action_id: str) -> dict[str, Any]:
    def work(*, session: Any) -> None:
        action_service.delete_action(session=session, application_id=app.application_id, action_id=action_id)

    await run_in_threadpool(_in_transaction, state, work)
    return ok({"id": action_id, "deleted": True})
