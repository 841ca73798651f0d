"""Scenario forms <-> the public API's request bodies, and the API's errors placed on form fields.

Form inputs are named by the API's own field paths (`ttsConfig.speed`, `responses[0].keyPadMatch`,
`values.so_tien`), so the `field` of every `ValidationFailed` detail names the input it belongs
to, and the dashboard shows the services' own rules, not a copy of them. List rows left blank
are dropped and the rest renumbered before validation, so an error's row index is the row the
page shows again.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData

from aicall.dashboard.reasons import explain, field_label
from aicall.interpreter.script import ActionType
from aicall.speech.intents import BUILTIN_INTENTS

Translate = Callable[..., str]

MENU_FIELDS = (
    "responseSetting.responseType",
    "responseSetting.timeout",
    "responseSetting.maxRetries",
    "responseSetting.noInputActionId",
    "responseSetting.invalidActionId",
)
BLANK_ROWS = 2  # empty rows offered under the filled ones, to add a field or a key
RESPONSE_TYPES = ("KEYPAD", "SPEECH", "KEYPAD_OR_SPEECH")  # schemas.ResponseSettingIn.response_type
# A response row's inputs. `intent` is a select: a built-in intent, or CUSTOM_INTENT with the name
# typed into `customIntent`; `phrases` is one textarea (one phrase a line, or comma-separated).
RESPONSE_COLUMNS = ("keyPadMatch", "intent", "customIntent", "phrases", "nextActionId", "optOut")
# Not a possible intent name (those start with a letter: schemas.INTENT_PATTERN).
CUSTOM_INTENT = "_custom"
_PHRASE_SEPARATORS = re.compile(r"[,\n]")


def flat(form: FormData) -> dict[str, str]:
    """The form's text inputs (the last value of each name; files are not expected here)."""
    return {name: value for name, value in form.items() if isinstance(value, str)}


def _decimal(text: str) -> str | None:
    """A number as typed, with a Vietnamese decimal comma accepted (`1,5` -> `1.5`); blank -> None."""
    text = text.strip()
    return text.replace(",", ".") if text else None


def _link(text: str | None) -> str | None:
    """An action id from a select; "" (hang up) -> None."""
    return text.strip() or None if text else None


def _rows(values: Mapping[str, str], prefix: str, columns: tuple[str, ...]) -> list[dict[str, str]]:
    """`prefix[i].column` inputs as rows, in index order, without the rows left entirely blank."""
    pattern = re.compile(rf"^{re.escape(prefix)}\[(\d+)\]\.(\w+)$")
    found: dict[int, dict[str, str]] = {}
    for name, value in values.items():
        match = pattern.match(name)
        if match and match[2] in columns:
            found.setdefault(int(match[1]), {})[match[2]] = value.strip()
    return [row for _, row in sorted(found.items()) if any(row.get(c) for c in columns)]


def _flatten_rows(prefix: str, rows: list[dict[str, Any]]) -> dict[str, str]:
    return {
        f"{prefix}[{index}].{column}": "" if value is None else str(value)
        for index, row in enumerate(rows)
        for column, value in row.items()
    }


# --- scenario settings -----------------------------------------------------------------------------


def scenario_payload(values: Mapping[str, str], *, creating: bool) -> tuple[dict[str, Any], dict[str, str]]:
    """The body of POST/PUT /scenarios from the settings form, and the values to show again."""
    fields = [
        {"name": row.get("name", ""), "readingType": row.get("readingType") or "TEXT"}
        for row in _rows(values, "personalizedFields", ("name", "readingType"))
        if row.get("name")  # a reading type alone is the select's default, not a field
    ]
    tts: dict[str, Any] = {}
    voice = values.get("ttsConfig.voiceCode", "").strip()
    if voice:
        tts["voiceCode"] = voice
    speed = _decimal(values.get("ttsConfig.speed", ""))
    if speed is not None:
        tts["speed"] = speed
    payload: dict[str, Any] = {
        "name": values.get("name", ""),
        "description": values.get("description", ""),
        "ttsConfig": tts,
        "personalizedFields": fields,
    }
    if values.get("dialect"):
        payload["dialect"] = values["dialect"]
    if creating:
        payload["description"] = payload["description"] or None
    shown = {
        name: values.get(name, "")
        for name in (
            "name",
            "description",
            "ttsConfig.voiceCode",
            "ttsConfig.speed",
            "dialect",
            "applicationId",
        )
    }
    shown.update(_flatten_rows("personalizedFields", fields))
    return payload, shown


def scenario_values(scenario: Any) -> dict[str, str]:
    """The settings form filled from a stored scenario."""
    tts = scenario.tts_config or {}
    values = {
        "name": scenario.name,
        "description": scenario.description or "",
        "ttsConfig.voiceCode": str(tts.get("voice_code") or ""),
        "ttsConfig.speed": _number_text(tts.get("speed", 1.0)),
        "dialect": scenario.dialect,
    }
    values.update(
        _flatten_rows(
            "personalizedFields",
            [
                {"name": f["name"], "readingType": f["reading_type"]}
                for f in scenario.personalized_fields or []
            ],
        )
    )
    return values


def _number_text(value: Any) -> str:
    if value is None:
        return ""
    number = float(value)
    return str(int(number)) if number.is_integer() else str(number)


def row_count(values: Mapping[str, str], prefix: str) -> int:
    """How many rows the form shows: the filled ones and BLANK_ROWS more."""
    indexes = [int(m[1]) for name in values if (m := re.match(rf"^{re.escape(prefix)}\[(\d+)\]\.", name))]
    return (max(indexes) + 1 if indexes else 0) + BLANK_ROWS


# --- actions -----------------------------------------------------------------------------------------


def action_payload(values: Mapping[str, str], *, current_type: str) -> tuple[dict[str, Any], dict[str, str]]:
    """The body of PUT /scenario-actions/{id} from an action's form, and the values to show again.

    Only the fields the action's (current) type has are sent: the root takes just its label and
    first action, as the API allows."""
    if current_type == ActionType.OUTBOUND_CALL.value:
        payload: dict[str, Any] = {
            "label": values.get("label", ""),
            "nextActionId": _link(values.get("nextActionId")),
        }
        return payload, {name: values.get(name, "") for name in ("label", "nextActionId")}
    payload = {
        "label": values.get("label", ""),
        "type": values.get("type") or current_type,
        "contentType": "TEXT",
        "contentText": values.get("contentText", ""),
    }
    shown = {name: values.get(name, "") for name in ("label", "type", "contentText")}
    if current_type == ActionType.INTERACTIVE_MENU.value:
        setting: dict[str, Any] = {"responseType": values.get("responseSetting.responseType") or "KEYPAD"}
        for name in ("timeout", "maxRetries"):
            number = _decimal(values.get(f"responseSetting.{name}", ""))
            if number is not None:
                setting[name] = number
        for name in ("noInputActionId", "invalidActionId"):
            setting[name] = _link(values.get(f"responseSetting.{name}"))
        payload["responseSetting"] = setting
        typed = _rows(values, "responses", RESPONSE_COLUMNS)
        payload["responses"] = [_response(row) for row in typed]
        shown.update({name: values.get(name, "") for name in MENU_FIELDS})
        shown.update(_flatten_rows("responses", typed))
    elif current_type == ActionType.PLAY_MESSAGE.value:
        payload["nextActionId"] = _link(values.get("nextActionId"))
        shown["nextActionId"] = values.get("nextActionId", "")
    elif current_type == ActionType.TRANSFER_CALL.value:
        payload["transferTo"] = values.get("transferTo", "")
        shown["transferTo"] = values.get("transferTo", "")
    return payload, shown


def split_phrases(text: str) -> list[str]:
    """The phrases typed in one box: one a line or comma-separated; blank ones dropped.

    `"có, vâng\\nđúng rồi"` -> `["có", "vâng", "đúng rồi"]`. What makes a phrase valid (words in
    it, length, how many) is the API's rule (`schemas.ResponseIn`), checked there."""
    return [part.strip() for part in _PHRASE_SEPARATORS.split(text) if part.strip()]


def _response(row: Mapping[str, str]) -> dict[str, Any]:
    """One response of PUT /scenario-actions/{id} from a form row (`RESPONSE_COLUMNS`)."""
    choice, custom = row.get("intent", ""), row.get("customIntent", "")
    # A name typed without choosing "another intent" in the select is still meant as one.
    intent = custom if choice == CUSTOM_INTENT or (not choice and custom) else choice
    response: dict[str, Any] = {
        "keyPadMatch": row.get("keyPadMatch") or None,
        "nextActionId": row.get("nextActionId") or None,
        "intent": intent or None,
    }
    phrases = split_phrases(row.get("phrases", ""))
    if phrases:
        response["phrases"] = phrases
    if row.get("optOut"):
        response["optOut"] = True
    return response


def _response_row(response: Mapping[str, Any]) -> dict[str, Any]:
    """A stored response as its form row."""
    intent = response.get("intent") or ""
    builtin = intent in BUILTIN_INTENTS
    return {
        "keyPadMatch": response.get("key_pad_match") or "",
        "intent": intent if builtin or not intent else CUSTOM_INTENT,
        "customIntent": "" if builtin else intent,
        "phrases": "\n".join(response.get("phrases") or []),
        "nextActionId": response.get("next_action_id"),
        "optOut": "1" if response.get("opt_out") else "",
    }


def action_values(action: Any) -> dict[str, str]:
    """An action's form filled from the stored action."""
    values = {
        "label": action.label or "",
        "type": action.type,
        "contentText": action.content_text or "",
        "nextActionId": action.next_action_id or "",
        "transferTo": action.transfer_to or "",
        "responseSetting.responseType": action.response_type or "KEYPAD",
        "responseSetting.timeout": _number_text(action.timeout),
        "responseSetting.maxRetries": str(action.max_retries),
        "responseSetting.noInputActionId": action.no_input_action_id or "",
        "responseSetting.invalidActionId": action.invalid_action_id or "",
    }
    values.update(_flatten_rows("responses", [_response_row(r) for r in action.responses or []]))
    return values


def new_action_payload(values: Mapping[str, str], scenario_id: str) -> tuple[dict[str, Any], dict[str, str]]:
    """The body of POST /scenario-actions from the "add an action" form."""
    payload = {
        "scenarioId": scenario_id,
        "label": values.get("label", ""),
        "type": values.get("type") or ActionType.INTERACTIVE_MENU.value,
        "contentType": "TEXT",
        "contentText": values.get("contentText", ""),
    }
    return payload, {name: values.get(name, "") for name in ("label", "type", "contentText")}


# --- errors ------------------------------------------------------------------------------------------


@dataclass
class FormErrors:
    """An API error placed on a form: messages by input name, and the rest for the whole form."""

    fields: dict[str, str] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.fields or self.general)


def place(
    found: list[tuple[str | None, str]], inputs: set[str], groups: tuple[str, ...], _: Translate
) -> FormErrors:
    """Each problem next to its input (or under its group of rows, e.g. `responses`), else general
    (after the label of the field it names)."""
    errors = FormErrors()
    for path, reason in found:
        message = explain(reason, _)
        if path is not None and (path in inputs or path in groups):
            errors.fields.setdefault(path, message)
        else:
            errors.general.append(f"{field_label(path, _)}: {message}" if path else message)
    return errors


_RESPONSE_PATH = re.compile(r"^(?P<row>(?:.*\.)?responses\[\d+\])(?:\.phrases\[(?P<phrase>\d+)\])?$")


def on_response_inputs(
    found: list[tuple[str | None, str]], response_type: str | None
) -> list[tuple[str | None, str]]:
    """Problems of a response row moved onto an input the row shows: a whole-row problem (no key
    and no intent) onto the key in a keypad menu, else onto the intent, and an own intent without
    phrases onto its phrases; one phrase's problem onto the phrases box, saying which phrase it is
    (the box holds them all)."""
    moved: list[tuple[str | None, str]] = []
    for path, reason in found:
        match = _RESPONSE_PATH.match(path or "")
        if match is None:
            moved.append((path, reason))
        elif match["phrase"] is not None:
            moved.append((f"{match['row']}.phrases", f"phrase {int(match['phrase']) + 1}: {reason}"))
        elif reason.endswith("give its phrases"):  # an intent of the scenario's own without them
            moved.append((f"{match['row']}.phrases", reason))
        else:
            column = "keyPadMatch" if (response_type or "KEYPAD") == "KEYPAD" else "intent"
            moved.append((f"{match['row']}.{column}", reason))
    return moved


_ACTION_PATH = re.compile(r"^actions\[(?P<ref>[^\]]+)\]\.(?P<rest>.+)$")


def split_by_action(
    found: list[tuple[str | None, str]], ref_to_id: Mapping[str, str]
) -> tuple[dict[str, list[tuple[str | None, str]]], list[tuple[str | None, str]]]:
    """Submission problems (`actions[start].contentText`) by action id; the others apart."""
    by_action: dict[str, list[tuple[str | None, str]]] = {}
    rest: list[tuple[str | None, str]] = []
    for path, reason in found:
        match = _ACTION_PATH.match(path or "")
        if match and match["ref"] in ref_to_id:
            by_action.setdefault(ref_to_id[match["ref"]], []).append((match["rest"], reason))
        else:
            rest.append((path, reason))
    return by_action, rest
