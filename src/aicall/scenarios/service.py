"""Scenario services: create, read, edit, delete, and the review flow (DRAFT -> REVIEWING ->
ACTIVE | REJECT). Every function runs in the caller's session; the caller owns the transaction."""

from __future__ import annotations

import copy
from typing import Any, cast

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aicall import notify
from aicall.accounts.models import Account, Application
from aicall.campaigns import defaults
from aicall.campaigns.models import Campaign, CampaignStatus
from aicall.clock import utc_now
from aicall.errors import Conflict, ScenarioNotDraft, ScenarioNotFound, ValidationFailed
from aicall.events import EventType
from aicall.interpreter.script import ActionType
from aicall.scenarios import snapshot
from aicall.scenarios.models import Scenario, ScenarioAction, ScenarioStatus, ScenarioVersion
from aicall.scenarios.schemas import ScenarioCreate, ScenarioUpdate
from aicall.scenarios.validation import check_script
from aicall.speech.voices import DEFAULT_VOICE_CODE
from aicall.webhooks import payloads

DEFAULT_TTS_CONFIG: dict[str, Any] = {"voice_code": DEFAULT_VOICE_CODE, "speed": 1.0}
DEFAULT_TIMEOUT = 5.0  # seconds a menu waits for a key
START_LABEL = "start"
# Campaigns that may still dial: a scenario they use cannot be deleted.
DIALLING_CAMPAIGN_STATUSES = (CampaignStatus.RUNNING.value, CampaignStatus.PAUSED.value)


class ReviewError(Conflict):
    """An approval or rejection of a scenario that is not waiting for one."""


def get_scenario(
    *, session: Session, application_id: str, scenario_id: str, for_update: bool = False
) -> Scenario:
    """The application's scenario; another application's answers exactly like a missing one."""
    query = select(Scenario).where(Scenario.id == scenario_id, Scenario.application_id == application_id)
    if for_update:
        query = query.with_for_update()
    scenario = session.scalars(query).first()
    if scenario is None:
        raise ScenarioNotFound()
    return scenario


def create_scenario(*, session: Session, application_id: str, data: ScenarioCreate) -> Scenario:
    """A DRAFT scenario with its OUTBOUND_CALL root and the empty `start` menu the root leads to."""
    now = utc_now()
    scenario = Scenario(
        application_id=application_id,
        name=data.name,
        description=data.description or "",
        image_url=data.image_url,
        status=ScenarioStatus.DRAFT.value,
        tags=list(data.tags or []),
        personalized_fields=[f.stored() for f in data.personalized_fields or []],
        tts_config=_merged(DEFAULT_TTS_CONFIG, data.tts_config),
        call_config=_merged(defaults.scenario_call_config(), data.call_config),
        dialect=data.dialect or "north",
        version=1,
        created_at=now,
        updated_at=now,
    )
    session.add(scenario)
    session.flush()
    root = ScenarioAction(
        scenario_id=scenario.id, position=0, type=ActionType.OUTBOUND_CALL.value, label="OUTBOUND_CALL",
        created_at=now, updated_at=now,
    )  # fmt: skip
    start = ScenarioAction(
        scenario_id=scenario.id, position=1, type=ActionType.INTERACTIVE_MENU.value, label=START_LABEL,
        content_type="TEXT", content_text="", responses=[], response_type="KEYPAD",
        timeout=DEFAULT_TIMEOUT, max_retries=2, created_at=now, updated_at=now,
    )  # fmt: skip
    session.add_all([root, start])
    session.flush()
    root.next_action_id = start.id
    scenario.root_action_id = root.id
    session.flush()
    return scenario


def _merged(current: dict[str, Any], given: Any) -> dict[str, Any]:
    """`current` with what the client set (nulls and absent fields leave a value as it was)."""
    merged = copy.deepcopy(current)
    if given is None:
        return merged
    for key, value in given.model_dump(exclude_none=True, exclude_unset=True).items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


def stored_call_config(session: Session, scenario_id: str) -> dict[str, Any] | None:
    """A copy of the scenario's `call_config` (CONTRACT §3 shape), None for a missing scenario.

    Positional, to serve as the dialer's `CallConfigLoader`."""
    scenario = session.get(Scenario, scenario_id)
    return dict(scenario.call_config or {}) if scenario else None


def list_scenarios(
    *, session: Session, application_id: str | None, status: str | None, limit: int, offset: int
) -> tuple[list[Scenario], int]:
    """One page of the application's scenarios (None: every application's, for the operator's
    CLI), newest first, and how many match in all."""
    where = [] if application_id is None else [Scenario.application_id == application_id]
    if status is not None:
        where.append(Scenario.status == status)
    total = int(session.scalar(select(func.count()).select_from(Scenario).where(*where)) or 0)
    page = session.scalars(
        select(Scenario).where(*where).order_by(Scenario.created_at.desc(), Scenario.id.desc())
        .limit(limit).offset(offset)
    ).all()  # fmt: skip
    return list(page), total


def update_scenario(
    *, session: Session, application_id: str, scenario_id: str, data: ScenarioUpdate
) -> Scenario:
    """Change the fields the request names; the others stay as they were."""
    scenario = get_scenario(
        session=session, application_id=application_id, scenario_id=scenario_id, for_update=True
    )
    before = editable_state(scenario)
    given = data.model_fields_set
    if data.name is not None:
        scenario.name = data.name
    if "description" in given:
        scenario.description = data.description or ""
    if "image_url" in given:
        scenario.image_url = data.image_url
    if data.tags is not None:
        scenario.tags = list(data.tags)
    if data.tts_config is not None:
        scenario.tts_config = _merged(scenario.tts_config or DEFAULT_TTS_CONFIG, data.tts_config)
    if data.call_config is not None:
        scenario.call_config = _merged(
            scenario.call_config or defaults.scenario_call_config(), data.call_config
        )
    if data.personalized_fields is not None:
        scenario.personalized_fields = [f.stored() for f in data.personalized_fields]
    if data.dialect is not None:
        scenario.dialect = data.dialect
    if editable_state(scenario) != before:  # a PUT of what is already there changes nothing
        mark_edited(scenario)
    session.flush()
    return scenario


def editable_state(scenario: Scenario) -> tuple[Any, ...]:
    return (
        scenario.name, scenario.description, scenario.image_url, copy.deepcopy(scenario.tags),
        copy.deepcopy(scenario.tts_config), copy.deepcopy(scenario.call_config),
        copy.deepcopy(scenario.personalized_fields), scenario.dialect,
    )  # fmt: skip


def mark_edited(scenario: Scenario) -> None:
    """Every edit: a new version number, and back to DRAFT (what was reviewed has changed).

    An approved version keeps running for campaigns until the edited one is approved."""
    scenario.version = (scenario.version or 0) + 1
    scenario.updated_at = utc_now()
    if scenario.status != ScenarioStatus.DRAFT.value:
        scenario.status = ScenarioStatus.DRAFT.value
        scenario.reject_reason = None


def delete_scenario(*, session: Session, application_id: str, scenario_id: str) -> None:
    """Delete a scenario and its actions; refused while a running or paused campaign uses it."""
    scenario = get_scenario(
        session=session, application_id=application_id, scenario_id=scenario_id, for_update=True
    )
    busy = session.scalars(
        select(Campaign.id).where(
            Campaign.scenario_id == scenario.id, Campaign.status.in_(DIALLING_CAMPAIGN_STATUSES)
        )
    ).all()
    if busy:
        raise Conflict(
            f"Scenario is in use: campaign {', '.join(busy)} is running or paused with it; "
            "stop or complete the campaign first",
            details={"campaign_ids": list(busy)},
        )
    session.delete(scenario)  # actions and versions go with it (ON DELETE CASCADE)
    session.flush()


def validate(*, session: Session, scenario: Scenario) -> None:
    """Raise `ValidationFailed` listing every reason the scenario cannot run."""
    problems = check_script(snapshot.build_script(session, scenario))
    if problems:
        first = problems[0]
        raise ValidationFailed(
            first.message, field=first.field, details=[problem.to_dict() for problem in problems]
        )


def submit(*, session: Session, application_id: str, scenario_id: str) -> Scenario:
    """DRAFT -> REVIEWING (or straight to ACTIVE for accounts that approve their own)."""
    scenario = get_scenario(
        session=session, application_id=application_id, scenario_id=scenario_id, for_update=True
    )
    if scenario.status != ScenarioStatus.DRAFT.value:
        raise ScenarioNotDraft()
    validate(session=session, scenario=scenario)
    scenario.status = ScenarioStatus.REVIEWING.value
    scenario.submitted_at = utc_now()
    scenario.reject_reason = None
    account = session.scalars(
        select(Account).join(Application, Application.account_id == Account.id)
        .where(Application.id == application_id)
    ).first()  # fmt: skip
    if account is not None and account.auto_approve_scenarios:
        _publish(session, scenario)
        _announce(session, scenario)
    session.flush()
    return scenario


def approve(*, session: Session, scenario_id: str) -> Scenario:
    """REVIEWING -> ACTIVE: freeze this version; new calls run it from now on."""
    scenario = _for_review(session, scenario_id)
    validate(session=session, scenario=scenario)
    _publish(session, scenario)
    _announce(session, scenario)
    session.flush()
    return scenario


def reject(*, session: Session, scenario_id: str, reason: str) -> Scenario:
    """REVIEWING -> REJECT with the reviewer's reason; an edit brings it back to DRAFT."""
    reason = reason.strip()
    if not reason:
        raise ValidationFailed("a rejection needs a reason", field="reason")
    scenario = _for_review(session, scenario_id)
    scenario.status = ScenarioStatus.REJECT.value
    scenario.reject_reason = reason
    scenario.reviewed_at = utc_now()
    _announce(session, scenario)
    session.flush()
    return scenario


def _for_review(session: Session, scenario_id: str) -> Scenario:
    scenario = session.scalars(select(Scenario).where(Scenario.id == scenario_id).with_for_update()).first()
    if scenario is None:
        raise ScenarioNotFound()
    if scenario.status != ScenarioStatus.REVIEWING.value:
        raise ReviewError(f"Status of scenario must be REVIEWING to review it, not {scenario.status}")
    return scenario


def _announce(session: Session, scenario: Scenario) -> None:
    """The review's outcome, by webhook (CONTRACT §3), in the review's own transaction."""
    approved = scenario.status == ScenarioStatus.ACTIVE.value
    data = payloads.ScenarioEventData(
        scenario_id=scenario.id,
        name=scenario.name,
        status=cast(payloads.ScenarioReviewStatus, scenario.status),
        reason=scenario.reject_reason,
    )
    notify.emit(
        session,
        application_id=scenario.application_id,
        event_type=EventType.SCENARIO_APPROVED if approved else EventType.SCENARIO_REJECTED,
        payload=data.model_dump(mode="json"),
    )


def _publish(session: Session, scenario: Scenario) -> None:
    script = snapshot.build_script(session, scenario)
    existing = session.scalars(
        select(ScenarioVersion).where(
            ScenarioVersion.scenario_id == scenario.id, ScenarioVersion.version == scenario.version
        )
    ).first()
    if existing is None:
        session.add(
            ScenarioVersion(
                scenario_id=scenario.id, version=scenario.version, script=snapshot.to_json(script)
            )
        )
    else:
        existing.script = snapshot.to_json(script)
    scenario.status = ScenarioStatus.ACTIVE.value
    scenario.published_version = scenario.version
    scenario.reviewed_at = utc_now()
