"""A scenario as the interpreter sees it: a frozen graph of actions, free of any storage.

The scenarios domain turns its rows into a `Script` (a snapshot: editing the scenario later
does not change a call already running with this object).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class ActionType(StrEnum):
    OUTBOUND_CALL = "OUTBOUND_CALL"  # system root; its `next_action_id` is the "answered" output
    INTERACTIVE_MENU = "INTERACTIVE_MENU"  # prompt, then keypad (or spoken) responses
    PLAY_MESSAGE = "PLAY_MESSAGE"  # prompt, then go on to `next_action_id` (or end if None)
    END_CALL = "END_CALL"  # goodbye prompt (may be empty), then hang up
    TRANSFER_CALL = "TRANSFER_CALL"  # prompt, then hand the call to `transfer_to`


class ResponseType(StrEnum):
    """How a menu takes its answer: keys, spoken words, or whichever comes first."""

    KEYPAD = "KEYPAD"
    SPEECH = "SPEECH"
    KEYPAD_OR_SPEECH = "KEYPAD_OR_SPEECH"

    @property
    def keys(self) -> bool:
        return self is not ResponseType.SPEECH

    @property
    def speech(self) -> bool:
        return self is not ResponseType.KEYPAD


@dataclass(frozen=True, slots=True)
class KeyResponse:
    key: str  # keypad match: "1".."9", "0", "*", "#"; "" for a response that is spoken only
    next_action_id: str | None  # None: end the call
    # The callee refuses further calls (Decree 91/2020/ND-CP Art. 13 cl. 4): the interpreter
    # reports it in the trace; the result store lists the number.
    opt_out: bool = False
    # A spoken answer (SPEECH menus): an intent ("yes", or the scenario's own) and phrases that
    # add to the built-in ones (speech/intents.py).
    intent: str | None = None
    phrases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Action:
    id: str
    type: ActionType
    label: str = ""
    content_text: str = ""  # prompt template; may hold {{placeholders}}
    next_action_id: str | None = None  # OUTBOUND_CALL / PLAY_MESSAGE: where to go next
    # INTERACTIVE_MENU
    responses: tuple[KeyResponse, ...] = ()
    timeout: float = 5.0  # seconds to wait for a key after the prompt
    max_retries: int = 2  # how many times the prompt is repeated on no input / an unmatched key
    no_input_action_id: str | None = None  # after the retries run out with no key (None: end call)
    invalid_action_id: str | None = None  # after the retries run out with wrong keys (None: end call)
    barge_in: bool = True  # a key press (or, when listening, speech) interrupts the prompt
    response_type: ResponseType = ResponseType.KEYPAD
    # TRANSFER_CALL
    transfer_to: str | None = None  # SIP URI or phone number


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """A personalised field: display name (`Họ tên`), key form (`ho_ten`) and reading type."""

    name: str
    key: str
    reading_type: str = "TEXT"
    # Read when a contact has no value for the field; None: a contact must give one if a
    # prompt reads the field (speech/readiness.py).
    default: str | None = None


@dataclass(frozen=True, slots=True)
class Script:
    scenario_id: str
    root_action_id: str
    actions: dict[str, Action]
    fields: tuple[FieldSpec, ...] = ()
    voice_code: str = ""
    speed: float = 1.0
    dialect: str = "north"  # "north" or "south": number words (nghìn/ngàn, linh/lẻ...)
    version: int = 1
    extra: dict[str, str] = field(default_factory=dict)

    def action(self, action_id: str) -> Action:
        return self.actions[action_id]
