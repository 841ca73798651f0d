"""Whether a scenario can be submitted, approved and run: checks on its `Script` graph.

Pure: works on the same frozen `Script` the dialer runs, so what passes here is what runs.

What "the call can end" means: some path of *designed* transitions (the answered output,
keypad responses, a message's next action, explicit no-input/invalid targets) leads from the
root to an ending: an END_CALL, a TRANSFER_CALL, a PLAY_MESSAGE with no next action, an
INTERACTIVE_MENU with no responses (a closing announcement, the way AICall scenarios end), or
a keypad response whose `next_action_id` is null (that key hangs up). The interpreter's own
fallback — hanging up after the retries of a menu run out — does not count: a script whose
only way out is the callee staying silent has no designed ending.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from aicall.interpreter.script import Action, ActionType, FieldSpec, ResponseType, Script
from aicall.speech.dialect import parse_dialect
from aicall.speech.errors import UnknownDialectError, UnknownReadingTypeError
from aicall.speech.intents import BUILTIN_INTENTS
from aicall.speech.keys import key_form
from aicall.speech.reading import parse_reading_type
from aicall.speech.template import unknown_placeholders
from aicall.speech.voices import is_known_voice

__all__ = ["Problem", "check_script", "links", "reachable", "unknown_placeholder_message"]

PROMPTING = (ActionType.INTERACTIVE_MENU, ActionType.PLAY_MESSAGE)


@dataclass(frozen=True, slots=True)
class Problem:
    field: str  # where, in the public API's camelCase (`personalizedFields[1].readingType`)
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"

    def to_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


def links(action: Action) -> Iterator[tuple[str, str]]:
    """(field, target id) of every transition the action names."""
    if action.next_action_id is not None:
        yield "nextActionId", action.next_action_id
    for index, response in enumerate(action.responses):
        if response.next_action_id is not None:
            yield f"responses[{index}].nextActionId", response.next_action_id
    if action.no_input_action_id is not None:
        yield "responseSetting.noInputActionId", action.no_input_action_id
    if action.invalid_action_id is not None:
        yield "responseSetting.invalidActionId", action.invalid_action_id


def reachable(script: Script) -> list[str]:
    """Ids of the actions a call can reach from the root (the root first), existing ones only."""
    if script.root_action_id not in script.actions:
        return []
    seen = {script.root_action_id}
    order = [script.root_action_id]
    queue = deque(order)
    while queue:
        for _field, target in links(script.actions[queue.popleft()]):
            if target in script.actions and target not in seen:
                seen.add(target)
                order.append(target)
                queue.append(target)
    return order


def _ends_the_call(action: Action) -> bool:
    match action.type:
        case ActionType.END_CALL | ActionType.TRANSFER_CALL:
            return True
        case ActionType.PLAY_MESSAGE:
            return action.next_action_id is None
        case ActionType.INTERACTIVE_MENU:
            return not action.responses or any(r.next_action_id is None for r in action.responses)
    return False


def _where(action: Action) -> str:
    return f"actions[{action.label or action.id}]"


def check_script(script: Script) -> list[Problem]:
    """Every reason the scenario cannot run, in a stable order; empty when it can."""
    problems: list[Problem] = []
    problems += _check_settings(script)
    problems += _check_fields(script)
    root = script.actions.get(script.root_action_id)
    if root is None or root.type is not ActionType.OUTBOUND_CALL:
        problems.append(Problem("actions", "the scenario has no OUTBOUND_CALL root action"))
        return problems
    for action in script.actions.values():
        problems += _check_action(script, action)
    if root.next_action_id is None:
        problems.append(
            Problem(f"{_where(root)}.nextActionId", "the root leads nowhere: set its first action")
        )
    reached = reachable(script)
    for action_id in reached:
        action = script.actions[action_id]
        if action.type in PROMPTING and not action.content_text.strip():
            problems.append(
                Problem(f"{_where(action)}.contentText", "is empty: the action has nothing to say")
            )
        if action.type is ActionType.TRANSFER_CALL and not (action.transfer_to or "").strip():
            problems.append(Problem(f"{_where(action)}.transferTo", "is empty: transfer to whom?"))
    if not any(_ends_the_call(script.actions[a]) for a in reached):
        problems.append(
            Problem(
                "actions",
                "no way to end the call: no END_CALL, TRANSFER_CALL, PLAY_MESSAGE without a next "
                "action, menu without responses or key that hangs up can be reached from the start",
            )
        )
    return problems


def _check_settings(script: Script) -> list[Problem]:
    problems = []
    if not is_known_voice(script.voice_code):
        problems.append(Problem("ttsConfig.voiceCode", f"unknown voice code {script.voice_code!r}"))
    try:
        parse_dialect(script.dialect)
    except UnknownDialectError as exc:
        problems.append(Problem("dialect", str(exc)))
    return problems


def _check_fields(script: Script) -> list[Problem]:
    problems = []
    keys: dict[str, str] = {}
    for index, field in enumerate(script.fields):
        where = f"personalizedFields[{index}]"
        try:
            parse_reading_type(field.reading_type)
        except UnknownReadingTypeError as exc:
            problems.append(Problem(f"{where}.readingType", str(exc)))
        key = key_form(field.name)
        if not key:
            problems.append(Problem(f"{where}.name", f"{field.name!r} has no letters or digits"))
        elif key in keys:
            problems.append(
                Problem(f"{where}.name", f"{field.name!r} has the same key {key!r} as {keys[key]!r}")
            )
        else:
            keys[key] = field.name
    return problems


def _check_action(script: Script, action: Action) -> list[Problem]:
    problems = []
    where = _where(action)
    for field, target in links(action):
        if target not in script.actions:
            problems.append(Problem(f"{where}.{field}", f"{target!r} is not an action of this scenario"))
        elif script.actions[target].type is ActionType.OUTBOUND_CALL:
            problems.append(Problem(f"{where}.{field}", "cannot lead back to the OUTBOUND_CALL root"))
    for name in unknown_placeholders(action.content_text, script.fields):
        problems.append(Problem(f"{where}.contentText", unknown_placeholder_message(name, script.fields)))
    keys = [r.key for r in action.responses if r.key]
    for key in sorted({k for k in keys if keys.count(k) > 1}):
        problems.append(Problem(f"{where}.responses", f"key {key!r} is used twice"))
    problems.extend(_check_answers(action, where))
    for index, response in enumerate(action.responses):
        after = script.actions.get(response.next_action_id) if response.next_action_id else None
        if response.opt_out and after is not None and after.type is not ActionType.END_CALL:
            # Decree 91/2020/ND-CP Art. 13 cl. 4: a refusal stops the call; a goodbye is all
            # that may follow it.
            problems.append(
                Problem(
                    f"{where}.responses[{index}].nextActionId",
                    "an opt-out key must end the call: lead to an END_CALL goodbye, or to nothing",
                )
            )
    return problems


def _check_answers(action: Action, where: str) -> list[Problem]:
    """Each response names what its menu listens for: a key, an intent (known or with phrases)."""
    problems = []
    intents = [r.intent for r in action.responses if r.intent]
    for intent in sorted({i for i in intents if intents.count(i) > 1}):
        problems.append(Problem(f"{where}.responses", f"intent {intent!r} is used twice"))
    kind = action.response_type
    for index, response in enumerate(action.responses):
        at = f"{where}.responses[{index}]"
        if kind is ResponseType.KEYPAD and not response.key:
            problems.append(Problem(f"{at}.keyPadMatch", "a KEYPAD menu's responses each need a key"))
        if kind is ResponseType.SPEECH and not response.intent:
            problems.append(Problem(f"{at}.intent", "a SPEECH menu's responses each need an intent"))
        if not response.key and not response.intent:
            problems.append(Problem(f"{at}.intent", "a response needs a key or an intent"))
        if response.intent and response.intent not in BUILTIN_INTENTS and not response.phrases:
            problems.append(
                Problem(f"{at}.phrases", f"intent {response.intent!r} is not built in: give its phrases")
            )
    return problems


def unknown_placeholder_message(name: str, fields: Sequence[FieldSpec]) -> str:
    known = ", ".join(f.key for f in fields) or "none"
    return f"placeholder {{{{{name}}}}} names no personalised field of this scenario (fields: {known})"
