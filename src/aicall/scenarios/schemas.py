"""Request bodies (camelCase or snake_case in, CONTRACT §3) and the snake_case answers."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from aicall.errors import ValidationFailed
from aicall.interpreter.script import ActionType, FieldSpec
from aicall.jsontypes import JsonModel
from aicall.speech.errors import UnknownReadingTypeError, UnknownVoiceError
from aicall.speech.intents import BUILTIN_INTENTS, plain_words
from aicall.speech.keys import key_form
from aicall.speech.reading import ReadingType, parse_reading_type
from aicall.speech.template import validate_value
from aicall.speech.voices import resolve_voice
from aicall.storable import MAX_EXACT_INTEGER
from aicall.telephony.addressing import transfer_target_problem

KEY_PATTERN = re.compile(r"[0-9*#]{1,8}")
INTENT_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,39}")
MAX_PHRASES = 50
# What the validators below accept, said again as JSON Schema for the OpenAPI document (the
# validators stay the rule; tests/unit/web/test_openapi_document.py holds the two together).
# (Empty: the default voice.)
VOICE_CODE_PATTERN = (
    r"^((hn|sg|hue)_(female|male)_[a-z0-9]+(_[a-z0-9.]+)*(-[a-z0-9]+)?"
    r"|espeak:[vV][iI][A-Za-z0-9_.+-]*|(openai|vbee|fpt):[A-Za-z0-9][A-Za-z0-9_.+-]*)?$"
)
FIELD_NAME_PATTERN = r"[0-9A-Za-z]"  # a letter or digit to make a key of
# Something left after str.strip(), which also strips \x1c-\x1f and \x85 (not in ECMA \s).
NOT_BLANK_PATTERN = r"[^\s\x1c-\x1f\x85]"
CALL_ROUTINGS = ("RANDOM", "ROUND_ROBIN", "LEAST_BUSY")
MAX_FIELDS = 50
MAX_DEFAULT_LENGTH = 2000  # as a contact's tag value (campaigns/contact_import.py)
MAX_CONTENT = 5000

Model = TypeVar("Model", bound=BaseModel)


class _In(JsonModel):
    # Clients send camelCase (AICall's samples) or snake_case; fields they add that we do not
    # know are ignored, so a read-modify-write of a whole scenario is accepted.
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


def parse(model: type[Model], payload: Any) -> Model:
    """Validate a JSON body; errors become one `ValidationFailed` naming the first bad field."""
    if not isinstance(payload, dict):
        raise ValidationFailed.sentence("", "must be a JSON object")
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise ValidationFailed.from_errors(exc.errors()) from None


class ReCallIn(_In):
    times: int | None = Field(default=None, ge=0, le=20)
    delay: float | None = Field(default=None, ge=0, le=30 * 24 * 60)  # minutes, as AICall's editor
    is_busy: bool | None = None
    is_failed: bool | None = None
    is_no_answer: bool | None = None
    is_voice_mail: bool | None = None


class CallConfigIn(_In):
    pool_hotline_key: str | None = Field(default=None, min_length=1, max_length=100)
    max_concurrent: int | None = Field(default=None, ge=1, le=2000)
    max_duration: int | None = Field(default=None, ge=5, le=4 * 3600)  # seconds
    allow_duplicate_phone: bool | None = None
    call_routing: str | None = Field(default=None, json_schema_extra={"enum": [*CALL_ROUTINGS, None]})
    re_call: ReCallIn | None = None

    @field_validator("call_routing")
    @classmethod
    def _routing(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip().upper()
        if value not in CALL_ROUTINGS:
            raise ValueError(f"unknown call routing {value!r}: expected one of {', '.join(CALL_ROUTINGS)}")
        return value


class TtsConfigIn(_In):
    voice_code: str | None = Field(
        default=None, max_length=200, json_schema_extra={"pattern": VOICE_CODE_PATTERN}
    )
    speed: float | None = Field(default=None, ge=0.5, le=2.0)

    @field_validator("voice_code")
    @classmethod
    def _voice(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            resolve_voice(value)
        except UnknownVoiceError as exc:
            raise ValueError(str(exc)) from None
        return value.strip()


class FieldIn(_In):
    name: str = Field(min_length=1, max_length=100, json_schema_extra={"pattern": FIELD_NAME_PATTERN})
    reading_type: str = Field(default="TEXT", json_schema_extra={"enum": [t.value for t in ReadingType]})
    default: str | None = Field(
        default=None,
        max_length=MAX_DEFAULT_LENGTH,
        description="read when a contact has no value; without one, a contact must give the field "
        "if a prompt reads it",
    )

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        value = " ".join(value.split())
        if not key_form(value):
            raise ValueError(f"{value!r} has no letters or digits to make a key of")
        return value

    @field_validator("reading_type")
    @classmethod
    def _reading_type(cls, value: str) -> str:
        try:
            return parse_reading_type(value).value
        except UnknownReadingTypeError as exc:
            raise ValueError(str(exc)) from None

    @field_validator("default")
    @classmethod
    def _readable_default(cls, value: str | None, info: ValidationInfo) -> str | None:
        # A default is read aloud like a contact's value: it must be readable by the field's type.
        name, reading_type = info.data.get("name"), info.data.get("reading_type")
        if value is None or name is None or reading_type is None:
            return value
        reason = validate_value(FieldSpec(name, key_form(name), reading_type), value)
        if reason is not None:
            raise ValueError(f"cannot be read as {reading_type}: {reason}")
        return value

    def stored(self) -> dict[str, str]:
        stored = {
            "name": self.name,
            "key": key_form(self.name),
            "reading_type": self.reading_type,
        }
        if self.default is not None:
            stored["default"] = self.default
        return stored


class ScenarioUpdate(_In):
    name: str | None = Field(
        default=None, min_length=1, max_length=200, json_schema_extra={"pattern": NOT_BLANK_PATTERN}
    )
    description: str | None = Field(default=None, max_length=5000)
    image_url: str | None = Field(default=None, max_length=2000)
    tags: list[str] | None = Field(default=None, max_length=50)
    tts_config: TtsConfigIn | None = None
    call_config: CallConfigIn | None = None
    # Distinct keys (`Họ tên` and `ho ten` share one): the document can say only "distinct items".
    personalized_fields: list[FieldIn] | None = Field(
        default=None, max_length=MAX_FIELDS, json_schema_extra={"uniqueItems": True}
    )
    dialect: str | None = Field(default=None, json_schema_extra={"enum": ["north", "south", None]})

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("is empty")
        return value.strip() if value is not None else None

    @field_validator("dialect")
    @classmethod
    def _dialect(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip().lower()
        if value not in ("north", "south"):
            raise ValueError(f"unknown dialect {value!r}: expected north or south")
        return value

    @field_validator("personalized_fields")
    @classmethod
    def _distinct_keys(cls, fields: list[FieldIn] | None) -> list[FieldIn] | None:
        seen: dict[str, str] = {}
        for field in fields or []:
            key = key_form(field.name)
            if key in seen:
                raise ValueError(f"{field.name!r} and {seen[key]!r} have the same key {key!r}")
            seen[key] = field.name
        return fields


class ScenarioCreate(ScenarioUpdate):
    name: str = Field(
        min_length=1, max_length=200, json_schema_extra={"pattern": NOT_BLANK_PATTERN}
    )  # required here


class ResponseIn(_In):
    # A number is read as its digits ({"keyPadMatch": 1} from loosely typed clients).
    # A KEYPAD menu's responses need it; a SPEECH menu's name an `intent` instead.
    key_pad_match: Annotated[
        str | None,
        WithJsonSchema(
            {
                "anyOf": [
                    {"type": "string", "pattern": KEY_PATTERN.pattern.join("^$")},
                    {"type": "integer", "minimum": 0, "maximum": 99_999_999},
                    {"type": "null"},
                ],
                "description": "1 to 8 of 0-9, * and #; null for a spoken response (intent)",
            }
        ),
    ] = None
    next_action_id: str | None = None  # null: this key hangs up
    # Decree 91/2020/ND-CP Art. 13 cl. 4: this key refuses further calls; the number goes on the
    # account's Do-Not-Call list. It must end the call (an END_CALL goodbye, or hang up).
    opt_out: bool = Field(default=False, description="this key refuses further calls (Do-Not-Call)")
    # A spoken answer (responseType SPEECH or KEYPAD_OR_SPEECH): a built-in intent (yes, no,
    # call_back_later, wrong_person, stop_calling) or the scenario's own, with its phrases.
    intent: str | None = Field(default=None, json_schema_extra={"pattern": INTENT_PATTERN.pattern.join("^$")})
    phrases: list[Annotated[str, Field(min_length=1, max_length=100)]] | None = Field(
        default=None, max_length=MAX_PHRASES
    )

    @field_validator("intent", mode="before")
    @classmethod
    def _intent(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip().lower()
            if not INTENT_PATTERN.fullmatch(value):
                raise ValueError(f"{value!r} is not an intent name: a-z, 0-9 and _, starting with a letter")
        return value

    @field_validator("phrases")
    @classmethod
    def _phrases(cls, phrases: list[str] | None) -> list[str] | None:
        if phrases is None:
            return None
        kept = [" ".join(p.split()) for p in phrases]
        if any(not plain_words(p) for p in kept):
            raise ValueError("a phrase has no words")
        return kept

    @model_validator(mode="after")
    def _answer(self) -> ResponseIn:
        if self.key_pad_match is None and self.intent is None:
            raise ValueError("a response needs a keyPadMatch (keypad) or an intent (speech)")
        if self.intent is not None and self.intent not in BUILTIN_INTENTS and not self.phrases:
            raise ValueError(
                f"intent {self.intent!r} is not built in ({', '.join(BUILTIN_INTENTS)}): give its phrases"
            )
        if self.phrases and self.intent is None:
            raise ValueError("phrases belong to an intent: name it")
        return self

    @field_validator("key_pad_match", mode="before")
    @classmethod
    def _key(cls, value: Any) -> Any:
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # 1.0: JSON has one kind of number, and some clients send that
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)  # {"keyPadMatch": 1} from loosely typed clients
        if isinstance(value, str) and not KEY_PATTERN.fullmatch(value.strip()):
            raise ValueError(f"{value!r} is not a keypad match: 1 to 8 of 0-9, * and #")
        return value.strip() if isinstance(value, str) else value


class ResponseSettingIn(_In):
    response_type: Literal["KEYPAD", "SPEECH", "KEYPAD_OR_SPEECH"] | None = None
    timeout: float | None = Field(default=None, gt=0, le=60)  # seconds
    max_retries: int | None = Field(default=None, ge=0, le=5)
    no_input_action_id: str | None = None
    invalid_action_id: str | None = None

    @field_validator("response_type", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value


EDITABLE_TYPES = tuple(t.value for t in ActionType if t is not ActionType.OUTBOUND_CALL)


class ActionUpdate(_In):
    label: str | None = Field(default=None, max_length=200)
    type: str | None = Field(default=None, json_schema_extra={"enum": [*EDITABLE_TYPES, None]})
    content_type: Literal["TEXT"] | None = None
    content_text: str | None = Field(default=None, max_length=MAX_CONTENT)
    response_setting: ResponseSettingIn | None = None
    responses: list[ResponseIn] | None = Field(default=None, max_length=12)
    next_action_id: str | None = None
    transfer_to: str | None = Field(default=None, max_length=200)

    @field_validator("transfer_to")
    @classmethod
    def _transfer_target(cls, value: str | None) -> str | None:
        # It is written into the REFER's Refer-To header (telephony/addressing.py).
        if not value or not value.strip():
            return value
        problem = transfer_target_problem(value.strip())
        if problem is not None:
            raise ValueError(problem)
        return value.strip()

    @field_validator("type")
    @classmethod
    def _type(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip().upper()
        if value == ActionType.OUTBOUND_CALL.value:
            raise ValueError(
                "OUTBOUND_CALL is the scenario's root, made with the scenario; it cannot be added"
            )
        if value not in EDITABLE_TYPES:
            raise ValueError(f"unknown action type {value!r}: expected one of {', '.join(EDITABLE_TYPES)}")
        return value

    @field_validator("content_type", mode="before")
    @classmethod
    def _content_type(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip().upper()
            if value != "TEXT":
                raise ValueError(f"content type {value!r} is not supported: only TEXT")
        return value

    @field_validator("responses")
    @classmethod
    def _distinct(cls, responses: list[ResponseIn] | None) -> list[ResponseIn] | None:
        keys = [r.key_pad_match for r in responses or [] if r.key_pad_match is not None]
        twice = sorted({k for k in keys if keys.count(k) > 1})
        if twice:
            raise ValueError(f"key {twice[0]!r} is used twice")
        intents = [r.intent for r in responses or [] if r.intent is not None]
        twice = sorted({i for i in intents if intents.count(i) > 1})
        if twice:
            raise ValueError(f"intent {twice[0]!r} is used twice")
        return responses


class ActionCreate(ActionUpdate):
    scenario_id: str = Field(min_length=1, max_length=64)

    @model_validator(mode="after")
    def _typed(self) -> ActionCreate:
        if self.type is None:
            self.type = ActionType.INTERACTIVE_MENU.value
        return self


class PreviewRequest(_In):
    action_id: str = Field(min_length=1, max_length=64)
    values: dict[str, str | Annotated[int, Field(ge=-MAX_EXACT_INTEGER, le=MAX_EXACT_INTEGER)]] = Field(
        default_factory=dict
    )


class ResumeRequest(_In):
    contacts: Any = None


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


def scenario_out(scenario: Any) -> dict[str, Any]:
    """GET /scenarios/{id}'s `result` (CONTRACT §3, plus `key`, `dialect` and the version fields)."""
    tts = scenario.tts_config or {}
    return {
        "id": scenario.id,
        "name": scenario.name,
        "description": scenario.description or "",
        "image_url": scenario.image_url,
        "status": scenario.status,
        "tags": list(scenario.tags or []),
        "created_at": iso(scenario.created_at),
        "updated_at": iso(scenario.updated_at),
        "personalized_fields": [
            {"name": f["name"], "key": f["key"], "reading_type": f["reading_type"]}
            # `default` only where one is set: fields without keep the shape they always had
            | ({"default": f["default"]} if f.get("default") is not None else {})
            for f in scenario.personalized_fields or []
        ],
        "tts_config": {"speed": _number(tts.get("speed", 1.0)), "voice_code": tts.get("voice_code", "")},
        "call_config": scenario.call_config or {},
        "dialect": scenario.dialect,
        "version": scenario.version,
        "published_version": scenario.published_version,
        "reject_reason": scenario.reject_reason,
    }


SCENARIO_FIELDS = (
    "id", "name", "description", "image_url", "status", "tags", "created_at", "updated_at",
    "personalized_fields", "tts_config", "call_config", "dialect", "version", "published_version",
    "reject_reason",
)  # fmt: skip


def parse_fields(raw: str | None) -> list[str] | None:
    """`?fields=name,status` -> ["id", "name", "status"] (the id always comes back); None: all."""
    if raw is None or not raw.strip():
        return None
    wanted = [part.strip() for part in raw.split(",") if part.strip()]
    chosen = ["id"]
    for name in wanted:
        snake = re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()  # camelCase names are accepted too
        if snake not in SCENARIO_FIELDS:
            raise ValidationFailed(
                f"unknown field {name!r}; choose from {', '.join(SCENARIO_FIELDS)}", field="fields"
            )
        if snake not in chosen:
            chosen.append(snake)
    return chosen


def stable_id(*parts: str) -> str:
    """A 24-hex id derived from `parts`: the same output keeps its id across reads and relinks."""
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:24]


def response_id(action_id: str, response: dict[str, Any]) -> str:
    """A response's output id: by its key (as before speech existed), else by its intent."""
    if response.get("key_pad_match") is not None:
        return stable_id(action_id, "key", response["key_pad_match"])
    return stable_id(action_id, "intent", response.get("intent") or "")


def outputs(action: Any) -> list[tuple[str, str, str | None]]:
    """(output id, kind, target) of each way out of a stored action."""
    match action.type:
        case ActionType.OUTBOUND_CALL:
            return [(stable_id(action.id, "start"), "start", action.next_action_id)]
        case ActionType.PLAY_MESSAGE:
            return [(stable_id(action.id, "next"), "next", action.next_action_id)]
        case ActionType.INTERACTIVE_MENU:
            found = [
                (response_id(action.id, r), "key", r.get("next_action_id")) for r in action.responses or []
            ]
            found.append((stable_id(action.id, "no_input"), "no_input", action.no_input_action_id))
            found.append((stable_id(action.id, "invalid"), "invalid", action.invalid_action_id))
            return found
    return []


def actions_out(actions: list[Any]) -> list[dict[str, Any]]:
    """The public form of a scenario's actions; `action_inputs` name the outputs leading in."""
    inputs: dict[str, list[dict[str, str]]] = {}
    for source in actions:
        for output_id, _kind, target in outputs(source):
            if target is not None:
                inputs.setdefault(target, []).append(
                    {
                        "id": stable_id(output_id, target),
                        "action_id": target,
                        "output_id": output_id,
                        "from_action_id": source.id,
                    }
                )
    return [action_out(action, inputs.get(action.id, [])) for action in actions]


def action_out(action: Any, inputs: list[dict[str, str]]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": action.id,
        "scenario_id": action.scenario_id,
        "type": action.type,
        "label": action.label,
    }
    kind = ActionType(action.type)
    if kind is ActionType.OUTBOUND_CALL:
        body["system_outputs"] = [
            {"id": stable_id(action.id, "start"), "label": "start", "next_action_id": action.next_action_id}
        ]
    else:
        body["content_type"] = action.content_type
        body["content_text"] = action.content_text
    if kind is ActionType.INTERACTIVE_MENU:
        body["response_setting"] = {
            "response_type": action.response_type,
            "timeout": _number(action.timeout),
            "max_retries": action.max_retries,
            "no_input_action_id": action.no_input_action_id,
            "invalid_action_id": action.invalid_action_id,
        }
        body["responses"] = [
            {
                "id": response_id(action.id, r),
                "key_pad_match": r.get("key_pad_match"),
                "next_action_id": r.get("next_action_id"),
                "opt_out": bool(r.get("opt_out", False)),
                # Spoken responses only: keypad answers read as AICall's do.
                **(
                    {"intent": r["intent"], "phrases": list(r.get("phrases") or [])}
                    if r.get("intent")
                    else {}
                ),
            }
            for r in action.responses or []
        ]
    if kind is ActionType.PLAY_MESSAGE:
        body["next_action_id"] = action.next_action_id
    if kind is ActionType.TRANSFER_CALL:
        body["transfer_to"] = action.transfer_to
    body["action_inputs"] = inputs
    body["created_at"] = iso(action.created_at)
    body["updated_at"] = iso(action.updated_at)
    return body
