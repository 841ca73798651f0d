"""Campaign services the API and CLI share."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from aicall import notify
from aicall.calls import events
from aicall.campaigns import contact_import, lifecycle, queries, scenario_rules, voicemail
from aicall.campaigns.models import Campaign, CampaignStatus, ContactStatus
from aicall.campaigns.settings import VOICEMAIL_NEEDS_AMD_FIELDS, CampaignSettings, voicemail_needs_amd
from aicall.clock import utc_now
from aicall.db.engine import Database
from aicall.errors import CampaignStateError, ScenarioNotFound, ValidationFailed
from aicall.idempotency import service as idempotency
from aicall.scenarios.models import Scenario

ADD_CONTACTS_ENDPOINT = "POST /api/v1/public-api/campaign"


def create_campaign(
    *,
    session: Session,
    application_id: str,
    name: str,
    scenario_id: str | None = None,
    settings: dict[str, Any] | None = None,
) -> Campaign:
    """A new campaign in draft."""
    campaign = Campaign(
        application_id=application_id,
        name=name,
        scenario_id=scenario_id,
        settings=settings or {},
        status=CampaignStatus.DRAFT.value,
    )
    session.add(campaign)
    session.flush()
    return campaign


def tag_rules(*, session: Session, campaign: Campaign) -> contact_import.TagRules:
    """How the campaign's scenario constrains contacts (duplicates, readable tag values)."""
    return scenario_rules.rules_for(session=session, campaign=campaign)


def add_contacts(
    *,
    db: Database,
    application_id: str,
    payload: Any,
    idempotency_key: str | None,
    max_contacts: int,
    region: str,
) -> tuple[int, dict[str, Any]]:
    """Validate and store one request's contacts atomically; return (HTTP status, body)."""
    request = contact_import.parse_request(payload, max_contacts=max_contacts, region=region)
    # Hashing a 10,000-contact body is not free: only requests that can be retried pay for it.
    body_hash = (
        idempotency.request_hash(ADD_CONTACTS_ENDPOINT, contact_import.canonical_json(payload))
        if idempotency_key is not None
        else ""
    )
    # Two concurrent imports of the same number both pass the duplicate check; the unique
    # index stops the second at commit. One retry re-reads and reports it as a duplicate.
    for attempt in range(2):
        try:
            with db.transaction() as session:
                if idempotency_key is not None:
                    stored = idempotency.find(
                        session=session,
                        application_id=application_id,
                        key=idempotency_key,
                        endpoint=ADD_CONTACTS_ENDPOINT,
                        body_hash=body_hash,
                    )
                    if stored is not None:
                        return stored.status_code, stored.body
                campaign = contact_import.load_open_campaign(
                    session=session, application_id=application_id, campaign_id=request.campaign_id
                )
                rules = tag_rules(session=session, campaign=campaign)
                body = contact_import.store_contacts(
                    session=session, campaign=campaign, request=request, rules=rules
                )
                if idempotency_key is not None:
                    idempotency.remember(
                        session=session,
                        application_id=application_id,
                        key=idempotency_key,
                        endpoint=ADD_CONTACTS_ENDPOINT,
                        body_hash=body_hash,
                        answer=idempotency.StoredAnswer(200, body),
                    )
                return 200, body
        except IntegrityError:
            if attempt == 1:
                raise
    raise AssertionError("unreachable")


def normalise_overrides(settings: dict[str, Any]) -> dict[str, Any]:
    """Validate a settings patch on its own and return it in snake_case, as stored."""
    try:
        patch = CampaignSettings.model_validate(settings)
    except ValueError as exc:
        raise _settings_failed(exc) from exc
    return patch.model_dump(mode="json", exclude_unset=True)


def _settings_failed(exc: ValueError) -> ValidationFailed:
    errors = getattr(exc, "errors", None)  # a pydantic ValidationError; a plain ValueError has none
    if callable(errors):
        return ValidationFailed.from_errors(errors(), prefix=("settings",))
    return ValidationFailed(str(exc), field="settings")


def check_scenario(session: Session, application_id: str, scenario_id: str | None) -> None:
    if scenario_id is None:
        return
    scenario = session.get(Scenario, scenario_id)
    if scenario is None or scenario.application_id != application_id:
        raise ScenarioNotFound()


def create_from_api(
    *,
    session: Session,
    application_id: str,
    account_id: str,
    name: str,
    scenario_id: str | None,
    settings: dict[str, Any],
    start: bool,
) -> Campaign:
    """A campaign made through the API: settings checked against its scenario's defaults."""
    check_scenario(session, application_id, scenario_id)
    overrides = normalise_overrides(settings)
    campaign = create_campaign(
        session=session, application_id=application_id, name=name, scenario_id=scenario_id, settings=overrides
    )
    _validate_effective(session, campaign)
    if start:
        notify.emit_all(session, lifecycle.start(session, campaign, account_id=account_id, now=utc_now()))
    return campaign


def _validate_effective(
    session: Session, campaign: Campaign, *, written: Collection[str] | None = None
) -> None:
    """The campaign's settings as they would be dialled. `written`: the settings a change set
    (None: all of them, a new campaign); rules across fields are checked when they are written."""
    try:
        settings = queries.settings_of(session, campaign)
    except ValueError as exc:
        raise _settings_failed(exc) from exc
    problems = []
    if (problem := voicemail.message_problem(session, campaign, settings)) is not None:
        problems.append({"field": voicemail.FIELD, "message": problem})
    checked = written is None or not VOICEMAIL_NEEDS_AMD_FIELDS.isdisjoint(written)
    if checked and (reason := voicemail_needs_amd(settings)) is not None:
        problems.append({"field": "settings.voicemail_action", "message": reason})
    if problems:  # every one in `details`, the first in the message
        raise ValidationFailed(problems[0]["message"], field=problems[0]["field"], details=problems)


RUNNING_SCENARIO_CHANGE = "A running campaign's scenario cannot be changed: pause it first"


def update_from_api(
    *,
    session: Session,
    campaign: Campaign,
    name: str | None,
    scenario_id: str | None,
    settings: dict[str, Any] | None,
) -> Campaign:
    """Change what the API's `PUT /campaigns/{id}` names (None: left as it is); the dashboard's
    forms write through here too. `settings` are merged over the campaign's own overrides.

    Raises CampaignStateError (1404, 409) for a completed or cancelled campaign, and for another
    scenario on a running one (pause it first); ScenarioNotFound (3001) for a scenario not of the
    application; ValidationFailed for settings the effective whole would not validate."""
    if campaign.status in (CampaignStatus.COMPLETED.value, CampaignStatus.CANCELLED.value):
        raise CampaignStateError(f"A {campaign.status} campaign cannot be changed")
    if (
        scenario_id is not None
        and scenario_id != campaign.scenario_id
        and campaign.status == CampaignStatus.RUNNING.value
    ):
        # Its callees would hear one script, then another, from one call to the next: pause first.
        raise CampaignStateError(RUNNING_SCENARIO_CHANGE)
    if name is not None:
        campaign.name = name
    if scenario_id is not None:
        check_scenario(session, campaign.application_id, scenario_id)
        campaign.scenario_id = scenario_id
    patch = normalise_overrides(settings) if settings is not None else {}
    if settings is not None:
        campaign.settings = {**(campaign.settings or {}), **patch}
    _validate_effective(session, campaign, written=patch.keys())
    return campaign


def transition(*, session: Session, campaign: Campaign, account_id: str, action: str) -> Campaign:
    """start | pause | resume | stop | cancel, with the campaign event it causes."""
    now = utc_now()
    match action:
        case "start":
            events = lifecycle.start(session, campaign, account_id=account_id, now=now)
        case "pause":
            events = lifecycle.pause(session, campaign, now=now)
        case "resume":
            events = lifecycle.resume(session, campaign, account_id=account_id, now=now)
        case "stop":
            events = lifecycle.close(session, campaign, status=CampaignStatus.COMPLETED, now=now)
        case "cancel":
            events = lifecycle.close(session, campaign, status=CampaignStatus.CANCELLED, now=now)
        case _:
            raise ValueError(action)
    notify.emit_all(session, events)
    return campaign


def cancel_contact(*, session: Session, application_id: str, contact_id: str) -> dict[str, Any]:
    """Cancel a contact not yet finished; a call in flight ends normally but is not re-called."""
    contact = queries.get_contact(
        session, application_id=application_id, contact_id=contact_id, for_update=True
    )
    if contact.status in (
        ContactStatus.DONE.value,
        ContactStatus.FAILED.value,
        ContactStatus.CANCELLED.value,
    ):
        raise CampaignStateError(f"The contact is already {contact.status}")
    in_call = contact.status == ContactStatus.CALLING.value
    contact.status = ContactStatus.CANCELLED.value
    contact.next_attempt_at = None
    if not in_call:  # a call in flight reports the contact's end when it finishes
        notify.emit_all(
            session,
            [events.contact_finished(application_id=application_id, contact=contact, finished_at=utc_now())],
        )
    return queries.contact_dict(contact)
