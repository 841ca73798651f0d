"""Scenario rows -> the frozen `Script` the interpreter runs, and approved versions as JSON.

Calls are isolated from edits twice over: `load_script` returns the *approved* version (edits
made since then wait for the next approval), and the dialer keeps the returned object, which
is immutable, for the whole call (copy on read).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from aicall.errors import ScenarioNotFound
from aicall.interpreter.script import Action, ActionType, FieldSpec, KeyResponse, ResponseType, Script
from aicall.scenarios.models import Scenario, ScenarioAction, ScenarioVersion

__all__ = ["build_script", "from_json", "load_script", "scenario_fields", "to_json"]

SNAPSHOT_FORMAT = 1  # bump when the JSON shape below changes


def scenario_fields(scenario: Scenario) -> tuple[FieldSpec, ...]:
    return tuple(
        FieldSpec(
            name=f["name"], key=f["key"], reading_type=f.get("reading_type", "TEXT"), default=f.get("default")
        )
        for f in scenario.personalized_fields or []
    )


def build_script(session: Session, scenario: Scenario) -> Script:
    """The scenario as its rows say now (the working copy, approved or not)."""
    rows = session.scalars(
        select(ScenarioAction)
        .where(ScenarioAction.scenario_id == scenario.id)
        .order_by(ScenarioAction.position, ScenarioAction.id)
    ).all()
    actions = {row.id: _action(row) for row in rows}
    tts = scenario.tts_config or {}
    return Script(
        scenario_id=scenario.id,
        root_action_id=scenario.root_action_id or "",
        actions=actions,
        fields=scenario_fields(scenario),
        voice_code=str(tts.get("voice_code") or ""),
        speed=float(tts.get("speed") or 1.0),
        dialect=scenario.dialect,
        version=scenario.version,
    )


def _action(row: ScenarioAction) -> Action:
    max_retries = int(row.max_retries)
    if (
        row.type == ActionType.INTERACTIVE_MENU.value
        and not row.responses
        and row.no_input_action_id is None
        and row.invalid_action_id is None
    ):
        # A menu without responses is a closing announcement (how AICall scenarios end): no key
        # can match, so replaying it would only repeat the goodbye. Say it once, then hang up.
        max_retries = 0
    return Action(
        id=row.id,
        type=ActionType(row.type),
        label=row.label,
        content_text=row.content_text or "",
        next_action_id=row.next_action_id,
        responses=tuple(
            KeyResponse(
                key=str(r.get("key_pad_match") or ""),
                next_action_id=r.get("next_action_id"),
                opt_out=bool(r.get("opt_out", False)),
                intent=r.get("intent"),
                phrases=tuple(r.get("phrases") or ()),
            )
            for r in row.responses or []
        ),
        response_type=ResponseType(row.response_type or ResponseType.KEYPAD.value),
        timeout=float(row.timeout),
        max_retries=max_retries,
        no_input_action_id=row.no_input_action_id,
        invalid_action_id=row.invalid_action_id,
        transfer_to=row.transfer_to,
    )


def load_script(session: Session, scenario_id: str, *, allow_unapproved: bool = True) -> Script:
    """The script a new call of this scenario runs: its latest approved version.

    A scenario never approved runs its working copy when `allow_unapproved` (tests, demos,
    campaigns that do not require review); otherwise that is `ScenarioNotFound`. Call once per
    call and keep the object: it never changes, whatever is edited meanwhile.
    """
    scenario = session.get(Scenario, scenario_id)
    if scenario is None:
        raise ScenarioNotFound()
    if scenario.published_version is not None:
        row = session.scalars(
            select(ScenarioVersion).where(
                ScenarioVersion.scenario_id == scenario_id,
                ScenarioVersion.version == scenario.published_version,
            )
        ).first()
        if row is not None:
            return from_json(row.script)
    if not allow_unapproved:
        raise ScenarioNotFound("Scenario not found: it has no approved version")
    return build_script(session, scenario)


def to_json(script: Script) -> dict[str, Any]:
    return {
        "format": SNAPSHOT_FORMAT,
        "scenario_id": script.scenario_id,
        "root_action_id": script.root_action_id,
        "version": script.version,
        "voice_code": script.voice_code,
        "speed": script.speed,
        "dialect": script.dialect,
        "fields": [
            {"name": f.name, "key": f.key, "reading_type": f.reading_type, "default": f.default}
            for f in script.fields
        ],
        "actions": [
            {
                "id": a.id,
                "type": a.type.value,
                "label": a.label,
                "content_text": a.content_text,
                "next_action_id": a.next_action_id,
                "responses": [
                    {
                        "key": r.key,
                        "next_action_id": r.next_action_id,
                        "opt_out": r.opt_out,
                        **({"intent": r.intent, "phrases": list(r.phrases)} if r.intent else {}),
                    }
                    for r in a.responses
                ],
                "response_type": a.response_type.value,
                "timeout": a.timeout,
                "max_retries": a.max_retries,
                "no_input_action_id": a.no_input_action_id,
                "invalid_action_id": a.invalid_action_id,
                "barge_in": a.barge_in,
                "transfer_to": a.transfer_to,
            }
            for a in script.actions.values()
        ],
    }


def from_json(data: dict[str, Any]) -> Script:
    actions = {
        a["id"]: Action(
            id=a["id"],
            type=ActionType(a["type"]),
            label=a["label"],
            content_text=a["content_text"],
            next_action_id=a["next_action_id"],
            responses=tuple(
                KeyResponse(
                    r["key"],
                    r["next_action_id"],
                    bool(r.get("opt_out", False)),
                    intent=r.get("intent"),
                    phrases=tuple(r.get("phrases", ())),
                )
                for r in a["responses"]
            ),
            response_type=ResponseType(a.get("response_type", ResponseType.KEYPAD.value)),
            timeout=float(a["timeout"]),
            max_retries=int(a["max_retries"]),
            no_input_action_id=a["no_input_action_id"],
            invalid_action_id=a["invalid_action_id"],
            barge_in=bool(a["barge_in"]),
            transfer_to=a["transfer_to"],
        )
        for a in data["actions"]
    }
    return Script(
        scenario_id=data["scenario_id"],
        root_action_id=data["root_action_id"],
        actions=actions,
        # Versions approved before fields had defaults have none.
        fields=tuple(
            FieldSpec(f["name"], f["key"], f["reading_type"], f.get("default")) for f in data["fields"]
        ),
        voice_code=data["voice_code"],
        speed=float(data["speed"]),
        dialect=data["dialect"],
        version=int(data["version"]),
    )
