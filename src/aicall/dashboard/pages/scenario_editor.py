"""The scenario editor page, shared by the scenario and action routes: what it shows, and how a
failed form comes back with the typed values and the errors next to their fields."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from aicall.accounts.users import UserRead
from aicall.dashboard.errors import PageNotFound
from aicall.dashboard.pages.scenario_forms import (
    CUSTOM_INTENT,
    FormErrors,
    action_values,
    row_count,
    scenario_values,
)
from aicall.dashboard.templating import render
from aicall.interpreter.script import ActionType, Script
from aicall.scenarios import actions as action_service
from aicall.scenarios import graph, overview, snapshot
from aicall.scenarios.models import Scenario, ScenarioAction
from aicall.speech.intents import BUILTIN_INTENTS
from aicall.speech.reading import ReadingType
from aicall.speech.voices import KNOWN_VOICES

READING_TYPES = tuple(t.value for t in ReadingType)
ADDABLE_TYPES = tuple(t.value for t in ActionType if t is not ActionType.OUTBOUND_CALL)
# Values the "listen" form starts with, by field key, then by reading type: what a real contact
# could have, so the first listen already sounds like a call.
SAMPLE_BY_KEY = {"danh_xung": "Anh", "ho_ten": "Nguyễn Văn An", "ten": "An"}
SAMPLE_BY_TYPE = {
    "TEXT": "Lan",
    "CURRENCY": "1500000",
    "DATE": "05/03/2026",
    "SEQ2SEQ": "AB12",
    "NUMBER": "105",
    "TIME": "14:30",
}


@dataclass
class Shown:
    """What a failed (or just finished) form puts back on the page instead of the stored state."""

    open_action: str | None = None
    action_values: dict[str, dict[str, str]] = field(default_factory=dict)
    action_errors: dict[str, FormErrors] = field(default_factory=dict)
    settings_values: dict[str, str] | None = None
    settings_errors: FormErrors = field(default_factory=FormErrors)
    new_action_values: dict[str, str] = field(default_factory=dict)
    new_action_errors: FormErrors = field(default_factory=FormErrors)
    sample_values: dict[str, str] | None = None
    sample_errors: FormErrors = field(default_factory=FormErrors)
    preview: dict[str, Any] | None = None  # {action_id, text, audio_src, audio_error}
    review_values: dict[str, str] = field(default_factory=dict)
    review_errors: FormErrors = field(default_factory=FormErrors)
    submit_errors: list[str] = field(default_factory=list)  # problems not placed on a form


def load_scenario(session: Session, user: UserRead, scenario_id: str) -> Scenario:
    """The user's account's scenario; `PageNotFound` for a missing one or another account's."""
    scenario = overview.scenario_of_account(session, account_id=user.account_id, scenario_id=scenario_id)
    if scenario is None:
        raise PageNotFound()
    return scenario


def load_action(session: Session, scenario: Scenario, action_id: str) -> ScenarioAction:
    action = overview.action_of_scenario(session, scenario_id=scenario.id, action_id=action_id)
    if action is None:
        raise PageNotFound()
    return action


def action_refs(actions: list[ScenarioAction]) -> dict[str, str]:
    """How submission problems name an action (`actions[<label or id>]`) -> its id."""
    refs: dict[str, str] = {}
    for action in actions:
        refs.setdefault(action.id, action.id)
        if action.label:
            refs.setdefault(action.label, action.id)
    return refs


def sample_values(scenario: Scenario) -> dict[str, str]:
    return {
        f"values.{f['key']}": SAMPLE_BY_KEY.get(f["key"], SAMPLE_BY_TYPE.get(f.get("reading_type", ""), ""))
        for f in scenario.personalized_fields or []
    }


def speech_edges(script: Script) -> dict[str, str]:
    """The intent of each drawn menu edge that answers by voice, by `"<action id>|<edge key>"`
    (`graph.layout` gives a response's edge its key, or its intent when it has no key; keys are
    digits, * and #, intents start with a letter, so the two never collide)."""
    return {
        f"{action.id}|{response.key or response.intent}": response.intent
        for action in script.actions.values()
        for response in action.responses
        if response.intent
    }


_LABEL_SHIFTS = (0.0, 20.0, -20.0, 40.0, -40.0)  # SVG units; within graph.LAYER_GAP (96) of a layer


def label_shifts(edges: tuple[graph.Edge, ...]) -> list[float]:
    """How far down to move each edge's label: edges between the same two boxes (keys 1 and 9,
    or "có" and "đúng rồi", to one goodbye) have their labels a few pixels apart, where the
    longer labels of spoken answers would cover each other; so the 2nd goes below, the 3rd above."""
    seen: dict[tuple[str, str], int] = {}
    shifts = []
    for edge in edges:
        nth = seen.get((edge.source, edge.target), 0)
        seen[(edge.source, edge.target)] = nth + 1
        shifts.append(0.0 if edge.back else _LABEL_SHIFTS[nth % len(_LABEL_SHIFTS)])
    return shifts


def _voice_options(current: str) -> list[tuple[str, str]]:
    """The offered voices, and the scenario's own when it is another one (set through the API)."""
    voices = list(KNOWN_VOICES) if not current or current in KNOWN_VOICES else [current, *KNOWN_VOICES]
    return [(voice, voice) for voice in voices]


def editor_context(session: Session, scenario: Scenario, shown: Shown) -> dict[str, Any]:
    """Everything `scenarios/editor.html` shows."""
    actions = action_service.list_actions(
        session=session, application_id=scenario.application_id, scenario_id=scenario.id
    )
    script = snapshot.build_script(session, scenario)
    drawing = graph.layout(script)
    forms = []
    for position, action in enumerate(actions):
        values = shown.action_values.get(action.id) or action_values(action)
        errors = shown.action_errors.get(action.id, FormErrors())
        forms.append(
            {
                "action": action,
                "number": position,
                "values": values,
                "errors": errors,
                "rows": row_count(values, "responses"),
                "open": action.id == shown.open_action or bool(errors),
            }
        )
    settings = shown.settings_values or scenario_values(scenario)
    samples = shown.sample_values or sample_values(scenario)
    first_prompt = next(
        (a.id for a in actions if a.type != ActionType.OUTBOUND_CALL.value and a.content_text.strip()),
        scenario.root_action_id,
    )
    return {
        "scenario": scenario,
        "actions": actions,
        "names": {a.id: a.label or a.type for a in actions},
        "targets": [a for a in actions if a.type != ActionType.OUTBOUND_CALL.value],
        "forms": forms,
        "drawing": drawing,
        "label_shifts": label_shifts(drawing.edges),
        "speech_edges": speech_edges(script),
        "builtin_intents": BUILTIN_INTENTS,
        "custom_intent": CUSTOM_INTENT,
        "hang_up": graph.HANG_UP,
        "settings": settings,
        "settings_errors": shown.settings_errors,
        "field_count": row_count(settings, "personalizedFields"),
        "new_action": shown.new_action_values,
        "new_action_errors": shown.new_action_errors,
        "samples": samples,
        "sample_errors": shown.sample_errors,
        "preview": shown.preview,
        "listen_action": (shown.preview or {}).get("action_id") or shown.open_action or first_prompt,
        "review": shown.review_values,
        "review_errors": shown.review_errors,
        "submit_errors": shown.submit_errors,
        "voice_options": _voice_options(settings.get("ttsConfig.voiceCode", "")),
        "reading_types": READING_TYPES,
        "addable_types": ADDABLE_TYPES,
    }


def render_editor(
    request: Request, session: Session, scenario: Scenario, shown: Shown, *, status_code: int = 200
) -> HTMLResponse:
    return render(
        request,
        "scenarios/editor.html",
        {**editor_context(session, scenario, shown), "notice": request.query_params.get("notice")},
        status_code=status_code,
    )
