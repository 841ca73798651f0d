"""The platform's state as /metrics reads it from the database: contacts waiting by reason (the
same rule as the API's `waiting_reason`), campaigns, webhook backlog, balances."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from aicall import notify
from aicall.observability import metrics
from aicall.web.metrics import state_reader
from tests.integration.dialer.support import add_contacts, make_dialer, prepare_campaign, run_until_idle
from tests.integration.webhooks.helpers import configure


def scrape(db) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(metrics.StateCollector(state_reader(db)))
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(metrics.render(registry).decode())
        for sample in family.samples
        if sample.name.startswith(("aicall_contacts", "aicall_campaigns", "aicall_webhook", "aicall_account"))
    }


def test_contacts_of_a_campaign_that_starts_tomorrow_are_scheduled(db, tenant):
    tomorrow = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
    prepare_campaign(db, tenant, start_date=tomorrow)
    add_contacts(db, tenant, ["+84987654321", "+84987654322"])
    state = scrape(db)
    assert state[("aicall_contacts_waiting", (("reason", "scheduled"),))] == 2
    assert state[("aicall_campaigns", (("status", "running"),))] == 1
    assert state[("aicall_account_balance_available_vnd", (("account_id", tenant.account_id),))] > 0


async def test_after_the_calls_nothing_waits_and_the_webhook_backlog_is_counted(db, tenant, tmp_path):
    configure(db, tenant.application_id, "https://hooks.example.com/aicall")
    prepare_campaign(db, tenant)
    add_contacts(db, tenant, ["+84987654320"])
    # No dialer has started yet: the contact due now waits for one.
    assert scrape(db)[("aicall_contacts_waiting", (("reason", "no_dialer"),))] == 1
    dialer = make_dialer(db, tmp_path, emit=notify.emit)
    await dialer.router.start()
    try:
        await run_until_idle(dialer)
    finally:
        await dialer.router.close()
    state = scrape(db)
    assert not any(name == "aicall_contacts_waiting" for name, _ in state)
    assert state[("aicall_webhook_backlog", ())] >= 1  # the call's events, not yet delivered
    assert state[("aicall_webhook_oldest_pending_seconds", ())] >= 0
