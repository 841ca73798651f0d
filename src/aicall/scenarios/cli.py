"""`aicall scenario approve ID | reject ID --reason R`: the reviewer's side of the review flow."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from aicall.bootstrap import open_platform
from aicall.config import get_settings
from aicall.errors import ApiError
from aicall.scenarios import service as scenario_service
from aicall.scenarios.models import Scenario

scenario_cli = typer.Typer(help="Scenarios: review submitted ones.", no_args_is_help=True)

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


@scenario_cli.command("approve")
def approve(
    scenario_id: Annotated[str, typer.Argument(help="The scenario's id.")], as_json: JsonFlag = False
) -> None:
    """Approve a REVIEWING scenario: it becomes ACTIVE and new calls run this version."""
    platform = open_platform(get_settings())
    try:
        with platform.db.transaction() as session:
            scenario = scenario_service.approve(session=session, scenario_id=scenario_id)
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
