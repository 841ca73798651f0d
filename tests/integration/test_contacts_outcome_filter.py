"""GET /campaigns/{id}/contacts?outcome= is a choice of the call outcomes, as `status` is one of
the statuses: an outcome no call can have (`bussy`, `BUSY`) answered an empty page, as if no
contact had it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from aicall.campaigns.models import Contact
from aicall.db.engine import Database
from tests.integration.support import LiveServer, Tenant, add_two_contacts, list_contacts

OUTCOMES = "'answered', 'no_answer', 'busy', 'rejected', 'invalid_number', 'voicemail' or 'failed'"


@pytest.fixture
def busy(live_server: LiveServer, tenant: Tenant, db: Database) -> str:
    """Two contacts, the first last heard busy; its id."""
    contact_id = add_two_contacts(live_server, tenant)
    with db.transaction() as session:
        session.scalars(select(Contact).where(Contact.id == contact_id)).one().last_outcome = "busy"
    return contact_id


def test_the_outcome_filter_finds_the_contacts_last_heard_so(live_server, tenant, busy):
    answer = list_contacts(live_server, tenant, outcome="busy")
    assert answer.status_code == 200, answer.text
    result = answer.json()["result"]
    assert [c["id"] for c in result["contacts"]] == [busy] and result["total_count"] == 1
    assert list_contacts(live_server, tenant, outcome="answered").json()["result"]["total_count"] == 0


@pytest.mark.parametrize("outcome", ["bussy", "BUSY", "done"])
def test_an_outcome_no_call_can_have_is_refused_naming_the_outcomes(live_server, tenant, busy, outcome):
    answer = list_contacts(live_server, tenant, outcome=outcome)
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert (body["status"], body["code"]) == (0, 400)
    assert body["message"] == f"Validation Failed: outcome: Input should be {OUTCOMES}"
    assert body["details"] == [{"field": "outcome", "message": f"Input should be {OUTCOMES}"}]
