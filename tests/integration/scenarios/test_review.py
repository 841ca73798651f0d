"""The review's outcome reaches the customer by webhook, written with the review itself."""

from __future__ import annotations

from sqlalchemy import select

from aicall.accounts.models import Account, Application
from aicall.scenarios import service
from aicall.webhooks.models import WebhookEvent
from tests.integration.scenarios.helpers import Api


def events(api: Api) -> list[tuple[str, dict[str, object]]]:
    with api.db.reading() as session:
        rows = session.scalars(
            select(WebhookEvent).where(WebhookEvent.application_id == api.tenant.application_id)
            .order_by(WebhookEvent.created_at)
        ).all()  # fmt: skip
        return [(row.type, row.payload) for row in rows]


def with_webhook(api: Api) -> None:
    with api.db.transaction() as session:
        session.get(Application, api.tenant.application_id).webhook_url = "https://example.com/hook"


def test_approval_and_rejection_are_reported_by_webhook(api: Api) -> None:
    with_webhook(api)
    approved = api.approved_scenario(name="A")
    rejected = api.runnable_scenario(name="B")
    api.submit(rejected["id"])
    with api.db.transaction() as session:
        service.reject(session=session, scenario_id=rejected["id"], reason="Sai chính tả")
    assert events(api) == [
        (
            "scenario.approved",
            {"scenario_id": approved["id"], "name": "A", "status": "ACTIVE", "reason": None},
        ),
        (
            "scenario.rejected",
            {"scenario_id": rejected["id"], "name": "B", "status": "REJECT", "reason": "Sai chính tả"},
        ),
    ]


def test_a_self_approving_account_is_told_at_submission(api: Api) -> None:
    with_webhook(api)
    with api.db.transaction() as session:
        session.get(Account, api.tenant.account_id).auto_approve_scenarios = True
    scenario = api.runnable_scenario()
    api.submit(scenario["id"])
    assert [kind for kind, _ in events(api)] == ["scenario.approved"]


def test_submitting_alone_sends_nothing(api: Api) -> None:
    with_webhook(api)
    api.submit(api.runnable_scenario()["id"])
    assert events(api) == []
