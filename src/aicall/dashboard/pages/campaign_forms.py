"""The campaign forms' fields: what a person typed, turned into the API's settings patch, and the
API's validation errors turned back into messages next to the fields, in the page's language.

Nothing here decides whether a value is allowed: the patch goes through the same service and
the same pydantic model as `PUT /campaigns/{id}` (campaigns.service.update_from_api); this
module only reads a form, and reads the errors that come back.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import time
from typing import Any

from pydantic import ValidationError
from starlette.datastructures import FormData

from aicall.campaigns.settings import DAY_NAMES, RETRYABLE, CampaignSettings
from aicall.dashboard.i18n import Translator
from aicall.dashboard.reasons import explain, field_label, problems
from aicall.errors import ApiError, field_path

__all__ = [
    "DAYS",
    "RETRY_OUTCOMES",
    "FormResult",
    "api_errors",
    "hours_text",
    "model_errors",
    "settings_patch",
    "settings_values",
    "submitted_values",
    "window_patch",
]

# Labels of the days, Monday first (as DAY_NAMES), wrapped in _() by the template.
DAYS = [
    ("mon", "T2"),
    ("tue", "T3"),
    ("wed", "T4"),
    ("thu", "T5"),
    ("fri", "T6"),
    ("sat", "T7"),
    ("sun", "CN"),
]
RETRY_OUTCOMES = [outcome.value for outcome in RETRYABLE]
_HOUR_RANGE = re.compile(r"^\s*(\d{1,2})[:h.](\d{2})\s*[-\u2013]\s*(\d{1,2})[:h.](\d{2})\s*$")


@dataclass
class FormResult:
    """A form read: the patch for the service, and errors found before it (unreadable input)."""

    patch: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def _clock(moment: time | None) -> str:
    return "24:00" if moment is None else moment.strftime("%H:%M")


def hours_text(settings: CampaignSettings) -> str:
    """`08:00-11:30, 13:30-20:00`; all day is `00:00-24:00`."""
    return ", ".join(f"{_clock(h.start)}-{_clock(h.end)}" for h in settings.hours)


def _number(value: float) -> str:
    return f"{value:g}"


def settings_values(settings: CampaignSettings) -> dict[str, Any]:
    """The form's fields filled from effective settings (interval shown in minutes)."""
    values: dict[str, Any] = {
        "timezone": settings.timezone,
        "days": list(settings.days),
        "hours": hours_text(settings),
        "start_date": settings.start_date.isoformat() if settings.start_date else "",
        "end_date": settings.end_date.isoformat() if settings.end_date else "",
        "max_concurrent": str(settings.max_concurrent),
        "calls_per_second": _number(settings.calls_per_second),
        "record": settings.record,
        # answering-machine detection; the voicemail select holds the message's action, "" to hang up
        "amd": settings.amd,
        "amd_mode": settings.amd_mode,
        "voicemail_message_action_id": (settings.voicemail_message_action_id or "")
        if settings.voicemail_action == "leave_message"
        else "",
    }
    for outcome in RETRY_OUTCOMES:
        rule = settings.retry.get(outcome)
        values[f"retry.{outcome}.max_attempts"] = str(rule.max_attempts if rule else 0)
        values[f"retry.{outcome}.interval"] = _number((rule.interval if rule else 0) / 60)
    return values


def submitted_values(form: FormData) -> dict[str, Any]:
    """What the person typed, to show back in the form as it was."""
    values: dict[str, Any] = {k: v for k, v in form.items() if isinstance(v, str)}
    values["days"] = [d for d in form.getlist("days") if isinstance(d, str)]
    values["record"] = form.get("record") == "on"
    values["amd"] = form.get("amd") == "on"
    values["start"] = form.get("start") == "on"
    return values


def _parse_hours(text: str, _: Translator) -> list[dict[str, str]] | str:
    """`08:00-11:30, 13:30-20:00` as the API's hour ranges, or the error message."""
    ranges = []
    for part in filter(None, (p.strip() for p in re.split(r"[,;\n]", text))):
        match = _HOUR_RANGE.match(part)
        if match is None:
            return _("Viết khung giờ dạng 08:00-11:30, nhiều khung cách nhau bởi dấu phẩy.")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or m1 > 59 or h2 > 24 or m2 > 59 or (h2 == 24 and m2):
            return _("Giờ không hợp lệ: {value}", value=part)
        ranges.append({"start": f"{h1:02d}:{m1:02d}", "end": f"{h2:02d}:{m2:02d}"})
    if not ranges:
        return _("Nhập ít nhất một khung giờ.")
    return ranges


def _same_hours(ranges: Sequence[Mapping[str, str]], settings: CampaignSettings) -> bool:
    return [f"{r['start']}-{r['end']}" for r in ranges] == [
        f"{_clock(h.start)}-{_clock(h.end)}" for h in settings.hours
    ]


def window_patch(form: FormData, current: CampaignSettings, _: Translator) -> FormResult:
    """The calling window's fields (time zone, days, hours, dates): only those that differ from
    `current` go into the patch, so a campaign keeps following its scenario for the rest."""
    result = FormResult()
    timezone = str(form.get("timezone") or "").strip()
    if timezone != current.timezone:
        result.patch["timezone"] = timezone
    days = [d for d in DAY_NAMES if d in form.getlist("days")]
    if days != list(current.days):
        result.patch["days"] = days
    hours = _parse_hours(str(form.get("hours") or ""), _)
    if isinstance(hours, str):
        result.errors["hours"] = hours
    elif not _same_hours(hours, current):
        result.patch["hours"] = hours
    for name in ("start_date", "end_date"):
        if name not in form:
            continue
        raw = str(form.get(name) or "").strip() or None
        was = getattr(current, name)
        if raw != (was.isoformat() if was else None):
            result.patch[name] = raw
    return result


def _float_text(raw: str) -> str:
    return raw.strip().replace(",", ".")  # Vietnamese writes 2,5


def _amd_patch(form: FormData, current: CampaignSettings, result: FormResult) -> None:
    """Answering-machine detection's fields: on/off, mode, and what a voicemail gets (hang up,
    or one of the scenario's PLAY_MESSAGE actions as the message)."""
    amd = form.get("amd") == "on"
    if amd != current.amd:
        result.patch["amd"] = amd
    mode = str(form.get("amd_mode") or current.amd_mode)
    if mode != current.amd_mode:
        result.patch["amd_mode"] = mode
    if "voicemail_message_action_id" not in form:
        return
    message = str(form.get("voicemail_message_action_id") or "").strip()
    was = current.voicemail_message_action_id if current.voicemail_action == "leave_message" else None
    if message != (was or ""):
        result.patch["voicemail_action"] = "leave_message" if message else "hangup"
        result.patch["voicemail_message_action_id"] = message or None


def settings_patch(form: FormData, current: CampaignSettings, _: Translator) -> FormResult:
    """The settings form read into a patch of what changed (see window_patch), values as typed:
    the service's model says whether they are allowed."""
    result = window_patch(form, current, _)
    raw_concurrent = str(form.get("max_concurrent") or "").strip()
    if raw_concurrent != str(current.max_concurrent):
        result.patch["max_concurrent"] = raw_concurrent
    raw_rate = _float_text(str(form.get("calls_per_second") or ""))
    if raw_rate != _number(current.calls_per_second):
        result.patch["calls_per_second"] = raw_rate
    record = form.get("record") == "on"
    if record != current.record:
        result.patch["record"] = record
    _amd_patch(form, current, result)
    retry: dict[str, dict[str, Any]] = {}
    changed = False
    for outcome in RETRY_OUTCOMES:
        rule = current.retry.get(outcome)
        attempts = str(form.get(f"retry.{outcome}.max_attempts") or "").strip()
        minutes_raw = _float_text(str(form.get(f"retry.{outcome}.interval") or ""))
        try:
            interval: Any = round(float(minutes_raw) * 60)
        except ValueError:
            result.errors[f"retry.{outcome}.interval"] = _("Hãy nhập một số.")
            continue
        retry[outcome] = {"max_attempts": attempts, "interval": interval}
        if attempts != str(rule.max_attempts if rule else 0) or interval != (rule.interval if rule else 0):
            changed = True
    if changed and not result.errors:
        result.patch["retry"] = retry
    return result


# --- errors coming back from the service -----------------------------------------------------

# A model-level error (no field in its location) placed next to the field it is about.
_MODEL_ERROR_FIELDS = {"end_date is before start_date": "end_date", "hours must hold": "hours"}


def _message(error: Mapping[str, Any], _: Translator) -> str:
    """A pydantic error in the page's language: by its type (with its limits), else by its
    message (`reasons`: the settings model's own reasons)."""
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    raw = str(error.get("msg", "")).removeprefix("Value error, ")
    match kind:
        case "int_parsing" | "int_from_float" | "int_type":
            return _("Hãy nhập một số nguyên.")
        case "float_parsing" | "float_type" | "finite_number":
            return _("Hãy nhập một số.")
        case "greater_than_equal":
            return _("Phải lớn hơn hoặc bằng {limit}.", limit=ctx.get("ge"))
        case "greater_than":
            return _("Phải lớn hơn {limit}.", limit=ctx.get("gt"))
        case "less_than_equal":
            return _("Phải nhỏ hơn hoặc bằng {limit}.", limit=ctx.get("le"))
        case "less_than":
            return _("Phải nhỏ hơn {limit}.", limit=ctx.get("lt"))
        case "string_too_short" | "missing":
            return _("Không được để trống.")
        case "string_too_long":
            return _("Dài quá {limit} ký tự.", limit=ctx.get("max_length"))
        case "date_parsing" | "date_from_datetime_parsing" | "date_type":
            return _("Ngày không hợp lệ.")
    return explain(raw, _)


def _field(location: Sequence[str | int], message: str, known: set[str]) -> str | None:
    parts = [str(p) for p in location]
    if parts and parts[0] == "settings":
        parts = parts[1:]
    if not parts:
        return next((f for start, f in _MODEL_ERROR_FIELDS.items() if message.startswith(start)), None)
    if parts[0] == "retry" and len(parts) >= 3:
        name = f"retry.{parts[1]}.{parts[2]}"
    elif parts[0] in ("scenario_id", "scenarioId"):
        name = "scenario_id"
    elif parts[0] in ("voicemail_action", "voicemailAction"):
        name = "voicemail_message_action_id"  # the form's one voicemail input: hang up, or a message
    else:
        name = parts[0]
    return name if name in known else None


def _place(
    items: Sequence[tuple[Sequence[str | int], str, str]], known: set[str], _: Translator
) -> tuple[dict[str, str], list[str]]:
    """Each message next to its form field; the others (a field the form lacks) after the
    field's label."""
    fields: dict[str, str] = {}
    leftovers: list[str] = []
    for location, text, raw in items:
        name = _field(location, raw, known)
        if name is not None:
            fields.setdefault(name, text)
        elif location and (path := field_path(location)):
            leftovers.append(f"{field_label(path, _)}: {text}")
        else:
            leftovers.append(text)
    return fields, leftovers


def model_errors(exc: ValidationError, _: Translator, known: set[str]) -> tuple[dict[str, str], str | None]:
    """A pydantic error as (messages by form field, a message for the rest), translated by type
    (`greater_than_equal` -> "Phải lớn hơn hoặc bằng 1.")."""
    items = [
        (
            tuple(error.get("loc", ())),
            _message(error, _),
            str(error.get("msg", "")).removeprefix("Value error, "),
        )
        for error in exc.errors()
    ]
    fields, leftovers = _place(items, known, _)
    return fields, _together(leftovers)


def _together(messages: Sequence[str]) -> str | None:
    """Several messages as one: sentences one after the other, else separated by `;`."""
    if not messages:
        return None
    return " ".join(messages) if all(m.endswith(".") for m in messages) else "; ".join(messages)


def api_errors(exc: ApiError, _: Translator, known: set[str]) -> tuple[dict[str, str], str | None]:
    """The service's error as (messages by form field, a message for the whole form), in the
    page's language.

    A ValidationFailed raised from pydantic carries the original errors as its cause: those
    translate by type (model_errors); otherwise each of the envelope's `details` (or its
    message) is said by `reasons`.
    """
    if isinstance(exc.__cause__, ValidationError):
        fields, rest = model_errors(exc.__cause__, _, known)
        return fields, rest if (rest or fields) else explain(exc.message, _)
    items: list[tuple[Sequence[str | int], str, str]] = [
        (tuple(path.split(".")) if path else (), explain(raw, _), raw) for path, raw in problems(exc)
    ]
    fields, leftovers = _place(items, known, _)
    return fields, _together(leftovers)
