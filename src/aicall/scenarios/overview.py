"""Scenarios as an account's people see them (the dashboard): every application of the account.

The public API scopes by application (CONTRACT §1: a token names one application); a dashboard
user belongs to an account and sees the scenarios of all its applications. A scenario or action
of another account is reported exactly as a missing one (None here, a 404 page there). Reads
only: every change goes through `service`, `actions` and `flows`, as the API's do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aicall.accounts.models import Application
from aicall.scenarios.models import Scenario, ScenarioAction

__all__ = [
    "ApplicationChoice",
    "ScenarioRow",
    "action_of_scenario",
    "applications",
    "list_for_account",
    "scenario_of_account",
]


@dataclass(frozen=True, slots=True)
class ScenarioRow:
    """One line of the scenarios list."""

    id: str
    name: str
    status: str
    version: int
    published_version: int | None
    application_id: str
    application_name: str
    actions: int  # the OUTBOUND_CALL root included
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class ApplicationChoice:
    id: str
    name: str


def applications(session: Session, *, account_id: str) -> list[ApplicationChoice]:
    """The account's applications, oldest first (the first is the default choice for a new scenario)."""
    rows = session.execute(
        select(Application.id, Application.name)
        .where(Application.account_id == account_id)
        .order_by(Application.created_at, Application.id)
    ).all()
    return [ApplicationChoice(id=row.id, name=row.name) for row in rows]


def list_for_account(session: Session, *, account_id: str, limit: int = 500) -> list[ScenarioRow]:
    """The account's scenarios, newest first, with how many actions each has (one grouped query)."""
    counts = (
        select(ScenarioAction.scenario_id, func.count().label("actions"))
        .group_by(ScenarioAction.scenario_id)
        .subquery()
    )
    rows = session.execute(
        select(Scenario, Application.name, func.coalesce(counts.c.actions, 0))
        .join(Application, Application.id == Scenario.application_id)
        .outerjoin(counts, counts.c.scenario_id == Scenario.id)
        .where(Application.account_id == account_id)
        .order_by(Scenario.created_at.desc(), Scenario.id.desc())
        .limit(limit)
    ).all()
    return [
        ScenarioRow(
            id=scenario.id,
            name=scenario.name,
            status=scenario.status,
            version=scenario.version,
            published_version=scenario.published_version,
            application_id=scenario.application_id,
            application_name=app_name,
            actions=int(actions),
            updated_at=scenario.updated_at,
        )
        for scenario, app_name, actions in rows
    ]


def scenario_of_account(session: Session, *, account_id: str, scenario_id: str) -> Scenario | None:
    """The scenario if it belongs to one of the account's applications, else None."""
    return session.scalars(
        select(Scenario)
        .join(Application, Application.id == Scenario.application_id)
        .where(Scenario.id == scenario_id, Application.account_id == account_id)
    ).first()


def action_of_scenario(session: Session, *, scenario_id: str, action_id: str) -> ScenarioAction | None:
    """The action if it is one of this scenario's, else None (an id from another scenario too)."""
    return session.scalars(
        select(ScenarioAction).where(
            ScenarioAction.id == action_id, ScenarioAction.scenario_id == scenario_id
        )
    ).first()
