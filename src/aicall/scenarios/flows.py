"""Work that spans scenarios and campaigns: calling out with a scenario (`resume`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from aicall.campaigns import contact_import
from aicall.campaigns import service as campaign_service
from aicall.campaigns.models import CLOSED_CAMPAIGN_STATUSES, Campaign, CampaignStatus
from aicall.db.engine import Database
from aicall.errors import Conflict, ValidationFailed
from aicall.scenarios import service
from aicall.scenarios.models import Scenario


def resume(
    *,
    db: Database,
    application_id: str,
    account_id: str,
    scenario_id: str,
    payload: Any,
    idempotency_key: str | None,
    max_contacts: int,
    region: str,
) -> dict[str, Any]:
    """Set the scenario's default campaign running and add the contacts to it; the API answer.

    The contacts go through the very same import as `POST /campaign` (validation, duplicates,
    readable tag values), so the two endpoints accept and refuse exactly the same contacts.
    """
    if not isinstance(payload, dict):
        raise ValidationFailed.sentence("", "must be a JSON object")
    contacts = contact_import.contacts_of(payload)
    with db.transaction() as session:
        scenario = service.get_scenario(
            session=session, application_id=application_id, scenario_id=scenario_id, for_update=True
        )
        if scenario.published_version is None:
            raise Conflict(
                f"Scenario is {scenario.status} and has no approved version: submit it and have it "
                "approved before calling out with it"
            )
        campaign = _default_campaign(session, scenario)
        # Started before the contacts go in: a campaign that cannot dial (no hotline pool...)
        # refuses the request whole, rather than storing contacts nobody will call.
        if campaign.status in (CampaignStatus.DRAFT.value, CampaignStatus.PAUSED.value):
            action = "start" if campaign.status == CampaignStatus.DRAFT.value else "resume"
            campaign_service.transition(
                session=session, campaign=campaign, account_id=account_id, action=action
            )
        campaign_id, status = campaign.id, campaign.status
    _status, body = campaign_service.add_contacts(
        db=db,
        application_id=application_id,
        payload={"campaign_id": campaign_id, "contacts": contacts},
        idempotency_key=idempotency_key,
        max_contacts=max_contacts,
        region=region,
    )
    return {
        "status": 1,
        "result": {
            "campaign_id": campaign_id,
            "campaign_status": status,
            "added": body.get("result", []),
            "rejected": body.get("rejected", []),
        },
    }


def _default_campaign(session: Session, scenario: Scenario) -> Campaign:
    """The scenario's default campaign: found while it is open, else made (named after it)."""
    if scenario.default_campaign_id is not None:
        campaign = session.get(Campaign, scenario.default_campaign_id)
        if (
            campaign is not None
            and campaign.application_id == scenario.application_id
            and campaign.scenario_id == scenario.id
            and campaign.status not in CLOSED_CAMPAIGN_STATUSES
        ):
            return campaign
    campaign = campaign_service.create_campaign(
        session=session,
        application_id=scenario.application_id,
        name=scenario.name[:200],
        scenario_id=scenario.id,
    )
    scenario.default_campaign_id = campaign.id
    return campaign
