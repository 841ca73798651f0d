"""Campaign services the API and CLI share."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from aicall.campaigns import contact_import, scenario_rules
from aicall.campaigns.models import Campaign, CampaignStatus
from aicall.db.engine import Database
from aicall.idempotency import service as idempotency

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
    body_hash = idempotency.request_hash(ADD_CONTACTS_ENDPOINT, contact_import.canonical_json(payload))
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
