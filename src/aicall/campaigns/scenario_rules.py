"""The contact rules a campaign's scenario imposes (duplicates, readable tags, the values its
prompts read)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from sqlalchemy.orm import Session

from aicall.campaigns.contact_import import TagRules
from aicall.campaigns.models import Campaign
from aicall.interpreter.script import FieldSpec
from aicall.scenarios.models import Scenario
from aicall.scenarios.snapshot import build_script, scenario_fields
from aicall.speech import readiness
from aicall.speech.template import find_field, validate_value


def rules_for(*, session: Session, campaign: Campaign) -> TagRules:
    """`allow_duplicate_phone`: the campaign's own setting, else its scenario's call_config.

    `check_tags`: each tag value that belongs to one of the scenario's personalised fields
    must be readable by that field's reading type, and a field a prompt of the call reads must
    have a value unless it has a default: we never dial someone we cannot speak to
    (speech/readiness.py). The scenario is read as it is now; the dialer checks again."""
    overrides = campaign.settings or {}
    scenario = _scenario(session, campaign)
    call_config = (scenario.call_config or {}) if scenario is not None else {}
    if "allow_duplicate_phone" in overrides:
        allow = bool(overrides["allow_duplicate_phone"])
    else:
        allow = bool(call_config.get("allow_duplicate_phone", False))
    if scenario is None or not scenario.personalized_fields:
        return TagRules(allow_duplicate_phone=allow)
    required = readiness.required_fields(build_script(session, scenario))
    return TagRules(
        allow_duplicate_phone=allow,
        check_tags=tag_checker(scenario_fields(scenario), scenario.dialect, required=tuple(required)),
    )


def fields_for(*, session: Session, campaign: Campaign) -> tuple[FieldSpec, ...]:
    """The personalised fields of the campaign's scenario (none without one), in its order."""
    scenario = _scenario(session, campaign)
    return scenario_fields(scenario) if scenario is not None else ()


def _scenario(session: Session, campaign: Campaign) -> Scenario | None:
    if campaign.scenario_id is None:
        return None
    scenario = session.get(Scenario, campaign.scenario_id)
    # A scenario of another application (or a deleted one) imposes nothing.
    if scenario is None or scenario.application_id != campaign.application_id:
        return None
    return scenario


def tag_checker(
    fields: tuple[FieldSpec, ...], dialect: str, *, required: tuple[FieldSpec, ...] = ()
) -> Callable[[Mapping[str, str]], str | None]:
    """None when every value given for a field reads aloud and every `required` field has one,
    else the reason, naming the field."""

    def check(tags: Mapping[str, str]) -> str | None:
        given: set[str] = set()
        for name, value in tags.items():
            field = find_field(name, fields)
            if field is None:
                continue  # unknown keys are kept with the contact (CONTRACT §2)
            given.add(field.key)
            reason = validate_value(field, value, dialect)
            if reason is not None:
                return f"tag {name!r} (field '{field.name}', {field.reading_type}): {reason}"
        for field in required:
            if field.key not in given:
                return (
                    f"tag {field.key!r} (field '{field.name}') is missing: the scenario's prompts read it "
                    "(give it a default in the scenario to call contacts without one)"
                )
        return None

    return check
