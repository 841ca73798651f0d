"""`aicall scenario create --app KEY --file scenario.json [--submit]`; `aicall scenario approve ID
| reject ID --reason R`: the reviewer's side of the review flow; `aicall scenario list | show ID`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from aicall import console
from aicall.accounts import service as account_service
from aicall.bootstrap import open_platform
from aicall.config import get_settings
from aicall.errors import ApiError, ScenarioNotFound, ValidationFailed
from aicall.scenarios import actions as action_service
from aicall.scenarios import preview
from aicall.scenarios import service as scenario_service
from aicall.scenarios.models import Scenario, ScenarioStatus
from aicall.scenarios.schemas import ActionCreate, ActionUpdate, ScenarioCreate, parse, scenario_out
from aicall.scenarios.service import START_LABEL

scenario_cli = typer.Typer(help="Scenarios: list, show, review submitted ones.", no_args_is_help=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _emit(scenario: Scenario, as_json: bool) -> None:
    data = {
        "scenario_id": scenario.id,
        "name": scenario.name,
        "status": scenario.status,
        "version": scenario.version,
        "published_version": scenario.published_version,
        "reject_reason": scenario.reject_reason,
    }
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False))
    else:
        for key, value in data.items():
            if value is not None:
                typer.echo(f"{key}: {value}")


@scenario_cli.command("create")
def create(
    app: Annotated[str, typer.Option("--app", help="The application's API key.")],
    file: Annotated[
        Path, typer.Option("--file", exists=True, dir_okay=False, readable=True, help="A JSON file.")
    ],
    submit: Annotated[bool, typer.Option("--submit", help="Submit it for review once created.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """A scenario from a JSON file: the body of `POST /scenarios` (same checks and messages),
    with an optional `actions` list in the body of `POST /scenario-actions` (no `scenarioId`).

    The action labelled `start` fills the menu every new scenario begins with; a
    `nextActionId` may name an action listed before it by its label."""
    try:
        payload = json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        typer.echo(f"error: {file} is not a JSON document: {exc}", err=True)
        raise typer.Exit(1) from None
    platform = open_platform(get_settings())
    try:
        with platform.db.transaction() as session:
            application = account_service.get_by_api_key(session=session, api_key=app)
            if application is None:
                typer.echo(f"error: no application has API key {app}", err=True)
                raise typer.Exit(1)
            body = dict(payload) if isinstance(payload, dict) else payload
            actions = body.pop("actions", None) if isinstance(body, dict) else None
            scenario = scenario_service.create_scenario(
                session=session, application_id=application.id, data=parse(ScenarioCreate, body)
            )
            _add_actions(session, application.id, scenario, actions)
            if submit:
                scenario = scenario_service.submit(
                    session=session, application_id=application.id, scenario_id=scenario.id
                )
    except ApiError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(1) from None
    finally:
        platform.db.dispose()
    _emit(scenario, as_json)


def _add_actions(session: Any, application_id: str, scenario: Scenario, actions: Any) -> None:
    if actions is None:
        return
    if not isinstance(actions, list) or not all(isinstance(a, dict) for a in actions):
        raise ValidationFailed("actions must be a list of action objects", field="actions")
    start = next(
        a
        for a in action_service.list_actions(
            session=session, application_id=application_id, scenario_id=scenario.id
        )
        if a.label == START_LABEL
    )
    ids = {START_LABEL: start.id}

    def resolved(data: dict[str, Any]) -> dict[str, Any]:
        out = dict(data)
        for key in ("nextActionId", "next_action_id"):
            if out.get(key) in ids:
                out[key] = ids[out[key]]
        if isinstance(out.get("responses"), list):
            out["responses"] = [resolved(r) if isinstance(r, dict) else r for r in out["responses"]]
        return out

    for data in [a for a in actions if a.get("label") != START_LABEL]:
        body = {**resolved(data), "scenarioId": scenario.id}
        action = action_service.create_action(
            session=session, application_id=application_id, data=parse(ActionCreate, body)
        )
        ids[action.label] = action.id
    for data in [a for a in actions if a.get("label") == START_LABEL]:
        action_service.update_action(
            session=session,
            application_id=application_id,
            action_id=start.id,
            data=parse(ActionUpdate, resolved(data)),
        )


@scenario_cli.command("approve")
def approve(
    scenario_id: Annotated[str, typer.Argument(help="The scenario's id.")], as_json: JsonFlag = False
) -> None:
    """Approve a REVIEWING scenario: it becomes ACTIVE and new calls run this version."""
    platform = open_platform(get_settings())
    try:
        with platform.db.transaction() as session:
            scenario = scenario_service.approve(session=session, scenario_id=scenario_id)
        # The fixed prompt parts, synthesised now: a slow neural voice never makes a callee wait.
        preview.warm_approved(
            settings=platform.settings, db=platform.db, box=platform.box, scenario_id=scenario_id
        )
    except ApiError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(1) from None
    finally:
        platform.db.dispose()
    _emit(scenario, as_json)


@scenario_cli.command("reject")
def reject(
    scenario_id: Annotated[str, typer.Argument(help="The scenario's id.")],
    reason: Annotated[str, typer.Option("--reason", help="Why, for the scenario's author.")],
    as_json: JsonFlag = False,
) -> None:
    """Reject a REVIEWING scenario with a reason; editing it brings it back to DRAFT."""
    platform = open_platform(get_settings())
    try:
        with platform.db.transaction() as session:
            scenario = scenario_service.reject(session=session, scenario_id=scenario_id, reason=reason)
    except ApiError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(1) from None
    finally:
        platform.db.dispose()
    _emit(scenario, as_json)


@scenario_cli.command("list")
def list_(
    app: Annotated[str | None, typer.Option("--app", help="Only this application's (API key).")] = None,
    status: Annotated[
        ScenarioStatus | None, typer.Option("--status", case_sensitive=False, help="Only this status.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10_000)] = 50,
    as_json: JsonFlag = False,
) -> None:
    """Scenarios, newest first (every application's unless --app): status and versions."""
    platform = open_platform(get_settings())
    try:
        with platform.db.reading() as session:
            application_id = None
            if app is not None:
                found = account_service.get_by_api_key(session=session, api_key=app)
                if found is None:
                    typer.echo(f"error: no application has API key {app}", err=True)
                    raise typer.Exit(1)
                application_id = found.id
            rows, total = scenario_service.list_scenarios(
                session=session,
                application_id=application_id,
                status=status.value if status else None,
                limit=limit,
                offset=0,
            )
            bodies = [scenario_out(row) for row in rows]
    finally:
        platform.db.dispose()
    if as_json:
        console.print_json({"scenarios": bodies, "total_count": total})
        return
    columns = [
        ("id", "id"),
        ("name", "name"),
        ("status", "status"),
        ("version", "version"),
        ("published_version", "published"),
        ("updated_at", "updated"),
    ]
    console.print_table(bodies, columns, empty="no scenarios")


@scenario_cli.command("show")
def show(
    scenario_id: Annotated[str, typer.Argument(help="The scenario's id.")], as_json: JsonFlag = False
) -> None:
    """One scenario: status, versions, personalised fields, voice and call settings."""
    platform = open_platform(get_settings())
    try:
        with platform.db.reading() as session:
            scenario = session.get(Scenario, scenario_id)
            if scenario is None:
                raise ScenarioNotFound()
            body = scenario_out(scenario)
    except ApiError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(1) from None
    finally:
        platform.db.dispose()
    if as_json:
        console.print_json(body)
        return
    console.print_record(
        {**body, "voice": body["tts_config"], "calls": body["call_config"]},
        fields=[
            ("id", "id"),
            ("name", "name"),
            ("status", "status"),
            ("version", "version"),
            ("published_version", "published version"),
            ("reject_reason", "reject reason"),
            ("dialect", "dialect"),
            ("voice", "voice"),
            ("calls", "call config"),
            ("updated_at", "updated"),
        ],
    )
    fields = [
        {"key": f["key"], "name": f["name"], "reading_type": f["reading_type"]}
        for f in body["personalized_fields"]
    ]
    columns = [("key", "tag"), ("name", "name"), ("reading_type", "read as")]
    console.print_table(fields, columns, title="personalised fields", empty="no personalised fields")
