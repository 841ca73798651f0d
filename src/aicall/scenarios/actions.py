"""Scenario actions: list, create, edit, delete; every link is checked when it is written."""

from __future__ import annotations

import copy

from pydantic.alias_generators import to_camel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aicall.clock import utc_now
from aicall.errors import Conflict, NotFound, ValidationFailed
from aicall.interpreter.script import ActionType
from aicall.scenarios import service
from aicall.scenarios.models import Scenario, ScenarioAction
from aicall.scenarios.schemas import ActionCreate, ActionUpdate, outputs
from aicall.scenarios.snapshot import scenario_fields
from aicall.scenarios.validation import unknown_placeholder_message
from aicall.speech.template import unknown_placeholders

# Fields that only a root may have changed (its first action) and that it may not.
ROOT_EDITABLE = {"next_action_id", "label"}


class ActionNotFound(NotFound):
    message = "Scenario action not found"


def list_actions(*, session: Session, application_id: str, scenario_id: str) -> list[ScenarioAction]:
    """The scenario's actions in creation order (the root first)."""
    service.get_scenario(session=session, application_id=application_id, scenario_id=scenario_id)
    return _actions(session, scenario_id)


def _actions(session: Session, scenario_id: str) -> list[ScenarioAction]:
    return list(
        session.scalars(
            select(ScenarioAction)
            .where(ScenarioAction.scenario_id == scenario_id)
            .order_by(ScenarioAction.position, ScenarioAction.id)
        )
    )


def get_action(
    *, session: Session, application_id: str, action_id: str, for_update: bool = False
) -> tuple[Scenario, ScenarioAction]:
    """The action and its scenario; another application's action answers like a missing one."""
    row = session.execute(
        select(ScenarioAction, Scenario)
        .join(Scenario, Scenario.id == ScenarioAction.scenario_id)
        .where(ScenarioAction.id == action_id, Scenario.application_id == application_id)
    ).first()
    if row is None:
        raise ActionNotFound()
    action, scenario = row
    if for_update:
        # Lock the scenario: edits of one scenario serialise, so each gets its own version.
        scenario = service.get_scenario(
            session=session, application_id=application_id, scenario_id=scenario.id, for_update=True
        )
    return scenario, action


def create_action(*, session: Session, application_id: str, data: ActionCreate) -> ScenarioAction:
    """A new action of the scenario `data.scenario_id` names."""
    scenario = service.get_scenario(
        session=session, application_id=application_id, scenario_id=data.scenario_id, for_update=True
    )
    position = session.scalar(
        select(func.coalesce(func.max(ScenarioAction.position), 0)).where(
            ScenarioAction.scenario_id == scenario.id
        )
    )
    now = utc_now()
    action = ScenarioAction(
        scenario_id=scenario.id,
        position=int(position or 0) + 1,
        type=data.type or ActionType.INTERACTIVE_MENU.value,
        label="",
        content_type="TEXT",
        content_text="",
        responses=[],
        response_type="KEYPAD",
        timeout=service.DEFAULT_TIMEOUT,
        max_retries=2,
        created_at=now,
        updated_at=now,
    )
    _apply(session, scenario, action, data)
    session.add(action)
    service.mark_edited(scenario)
    session.flush()
    return action


def update_action(
    *, session: Session, application_id: str, action_id: str, data: ActionUpdate
) -> ScenarioAction:
    """Change the fields the request names; a `responses` list replaces the old one whole."""
    scenario, action = get_action(
        session=session, application_id=application_id, action_id=action_id, for_update=True
    )
    if action.type == ActionType.OUTBOUND_CALL.value:
        extra = sorted(data.model_fields_set - ROOT_EDITABLE)
        if extra:
            raise ValidationFailed(
                "the OUTBOUND_CALL root has only a label and nextActionId (its 'start' output) to change",
                field=to_camel(extra[0]),
            )
    before = _state(action)
    _apply(session, scenario, action, data)
    if _state(action) != before:  # a PUT of what is already there changes nothing
        action.updated_at = utc_now()
        service.mark_edited(scenario)
    session.flush()
    return action


def _state(action: ScenarioAction) -> tuple[object, ...]:
    return (
        action.type, action.label, action.content_type, action.content_text, action.next_action_id,
        copy.deepcopy(action.responses), action.response_type, action.timeout, action.max_retries,
        action.no_input_action_id, action.invalid_action_id, action.transfer_to,
    )  # fmt: skip


def _apply(session: Session, scenario: Scenario, action: ScenarioAction, data: ActionUpdate) -> None:
    given = data.model_fields_set
    if data.type is not None:
        action.type = data.type
    if data.label is not None:
        action.label = data.label.strip()
    if data.content_text is not None:
        fields = scenario_fields(scenario)
        unknown = unknown_placeholders(data.content_text, fields)
        if unknown:
            raise ValidationFailed(unknown_placeholder_message(unknown[0], fields), field="contentText")
        action.content_text = data.content_text
    if "next_action_id" in given:
        action.next_action_id = _target(session, scenario, action, data.next_action_id, "nextActionId")
    if data.transfer_to is not None:
        action.transfer_to = data.transfer_to.strip() or None
    setting = data.response_setting
    if setting is not None:
        if setting.timeout is not None:
            action.timeout = setting.timeout
        if setting.max_retries is not None:
            action.max_retries = setting.max_retries
        if setting.response_type is not None:
            action.response_type = setting.response_type
        for name in ("no_input_action_id", "invalid_action_id"):
            if name in setting.model_fields_set:
                camel = "responseSetting." + (
                    "noInputActionId" if name == "no_input_action_id" else "invalidActionId"
                )
                setattr(action, name, _target(session, scenario, action, getattr(setting, name), camel))
    if data.responses is not None:
        action.responses = [
            {
                # Stored only when set: keypad responses read as they did before speech existed.
                **({"key_pad_match": response.key_pad_match} if response.key_pad_match is not None else {}),
                "next_action_id": _target(
                    session, scenario, action, response.next_action_id, f"responses[{index}].nextActionId"
                ),
                # Stored only when set: responses written before opt-out existed read the same.
                **({"opt_out": True} if response.opt_out else {}),
                **({"intent": response.intent} if response.intent is not None else {}),
                **({"phrases": response.phrases} if response.phrases else {}),
            }
            for index, response in enumerate(data.responses)
        ]
    _check_answers(action)
    _drop_foreign_fields(action)


def _check_answers(action: ScenarioAction) -> None:
    # What the menu listens for decides what each response must name: a key, an intent, or either.
    kind = action.response_type or "KEYPAD"
    if action.type != ActionType.INTERACTIVE_MENU.value:
        return
    for index, response in enumerate(action.responses or []):
        if kind == "KEYPAD" and response.get("key_pad_match") is None:
            raise ValidationFailed(
                "a KEYPAD menu's responses each need a keyPadMatch (or set responseType SPEECH)",
                field=f"responses[{index}].keyPadMatch",
            )
        if kind == "SPEECH" and not response.get("intent"):
            raise ValidationFailed(
                "a SPEECH menu's responses each need an intent", field=f"responses[{index}].intent"
            )


def _drop_foreign_fields(action: ScenarioAction) -> None:
    # Fields of another type (left by a type change, or sent for a type that has none) would be
    # invisible in the answer yet still hold links: clear them.
    kind = ActionType(action.type)
    if kind is not ActionType.INTERACTIVE_MENU:
        action.responses = []
        action.no_input_action_id = None
        action.invalid_action_id = None
    if kind not in (ActionType.PLAY_MESSAGE, ActionType.OUTBOUND_CALL):
        action.next_action_id = None
    if kind is not ActionType.TRANSFER_CALL:
        action.transfer_to = None


def _target(
    session: Session, scenario: Scenario, action: ScenarioAction, target_id: str | None, field: str
) -> str | None:
    """A link's target, checked: an action of this same scenario, and never the root."""
    if target_id is None or not target_id.strip():
        return None
    target_id = target_id.strip()
    target = session.get(ScenarioAction, target_id)
    if target is None or target.scenario_id != scenario.id:
        # Another scenario's action (even another tenant's) is simply not one of this scenario.
        raise ValidationFailed(f"{target_id!r} is not an action of this scenario", field=field)
    if target.type == ActionType.OUTBOUND_CALL.value:
        raise ValidationFailed("cannot lead back to the OUTBOUND_CALL root", field=field)
    return target_id


def delete_action(*, session: Session, application_id: str, action_id: str) -> None:
    """Delete an action nothing links to; the root cannot be deleted."""
    scenario, action = get_action(
        session=session, application_id=application_id, action_id=action_id, for_update=True
    )
    if action.type == ActionType.OUTBOUND_CALL.value:
        raise ValidationFailed("the OUTBOUND_CALL root cannot be deleted")
    linked_from = [
        other.label or other.id
        for other in _actions(session, scenario.id)
        if other.id != action.id and any(target == action.id for _, _, target in outputs(other))
    ]
    if linked_from:
        raise Conflict(
            f"Action is linked from {', '.join(repr(name) for name in linked_from)}: "
            "change those links first, then delete it",
            details={"linked_from": linked_from},
        )
    session.delete(action)
    service.mark_edited(scenario)
    session.flush()
