"""Can we speak to this contact? Every prompt the call can reach, rendered with its values.

A contact without a value a prompt reads used to be dialled, answered, and hung up on at the
first prompt, then reported `done` / `answered`: a person's phone rang for nothing. The
importer refuses such a contact (`required_fields`), and the dialer, before it dials (the
scenario may have changed since the import), renders every prompt the call can reach
(`first_unspeakable`); if one cannot be rendered, the contact is not dialled.

A field's `default`, when the scenario gives one, stands in for a missing value.

Only the placeholders can fail (fixed text always renders), and a field read once reads the
same in every prompt: so the check is planned once per script (the placeholders of every
reachable prompt, in order, each field once) and each contact's check reads only its values,
never whole prompts. A dialer runs it before every call.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass

from aicall.interpreter.script import Action, ActionType, FieldSpec, Script
from aicall.speech.errors import ReadingError, TemplateError
from aicall.speech.template import (
    find_field,
    placeholder_fields,
    placeholders,
    read_placeholder,
    values_by_key,
)

__all__ = ["Unspeakable", "first_unspeakable", "reachable_actions", "required_fields"]


@dataclass(frozen=True, slots=True)
class Unspeakable:
    """Why a contact cannot be spoken to: the field (its display name) and what is wrong."""

    field: str | None
    reason: str


def reachable_actions(script: Script) -> list[Action]:
    """The actions a call can reach from the root, by any answer (keys, no input, invalid
    input), in the order a breadth-first walk meets them."""
    seen: dict[str, Action] = {}
    queue = [script.root_action_id]
    while queue:
        action_id = queue.pop(0)
        action = script.actions.get(action_id)
        if action is None or action_id in seen:
            continue
        seen[action_id] = action
        queue.extend(
            target
            for target in (
                action.next_action_id,
                *(response.next_action_id for response in action.responses),
                action.no_input_action_id,
                action.invalid_action_id,
            )
            if target is not None
        )
    return list(seen.values())


def _prompts(script: Script) -> list[Action]:
    return [a for a in reachable_actions(script) if a.type is not ActionType.OUTBOUND_CALL and a.content_text]


def required_fields(script: Script) -> list[FieldSpec]:
    """Fields a reachable prompt reads that have no default: a contact must give each."""
    found = [
        field
        for action in _prompts(script)
        for field in placeholder_fields(action.content_text, script.fields)
    ]
    return [field for field in dict.fromkeys(found) if field.default is None]


def first_unspeakable(script: Script, values: Mapping[str, str]) -> Unspeakable | None:
    """None when every reachable prompt renders with `values`, else the first problem met in
    the order the prompts would be rendered (the breadth-first order of `reachable_actions`,
    each prompt's placeholders left to right): a placeholder naming no field, a field with no
    value and no default, or a value its reading type cannot read."""
    checks = _plan(script)
    if not checks:
        return None
    by_key = values_by_key(values, script.fields)
    for name, field in checks:
        try:
            read_placeholder(name, field, by_key, script.dialect)
        except TemplateError as exc:
            return Unspeakable(exc.field, str(exc))
        except ReadingError as exc:
            return Unspeakable(exc.field, exc.message)
    return None


_PLANS_KEPT = 64  # scripts whose plan is kept (a dialer holds one per running scenario version)
_plans: dict[int, tuple[Script, tuple[tuple[str, FieldSpec | None], ...]]] = {}
_plans_lock = threading.Lock()


def _plan(script: Script) -> tuple[tuple[str, FieldSpec | None], ...]:
    """(placeholder as written, its field or None) for every placeholder of every reachable
    prompt, in rendering order; a field (or an unknown name) only at its first use. Cached by
    the script object, which the entry holds so that its id is not reused while cached."""
    kept = _plans.get(id(script))
    if kept is not None and kept[0] is script:
        return kept[1]
    checks: dict[object, tuple[str, FieldSpec | None]] = {}
    for action in _prompts(script):
        for name in placeholders(action.content_text):
            field = find_field(name, script.fields)
            checks.setdefault(field if field is not None else ("unknown", name), (name, field))
    plan = tuple(checks.values())
    with _plans_lock:
        if len(_plans) >= _PLANS_KEPT:
            _plans.clear()  # scenario versions come and go slowly: starting over is cheap
        _plans[id(script)] = (script, plan)
    return plan
