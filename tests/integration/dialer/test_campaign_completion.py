"""A campaign whose contacts are all final completes by itself after a quiet period, when it
is set to (`complete_when_done`); by default it stays open for new contacts (issue 12)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from aicall.campaigns.models import Campaign
from aicall.clock import utc_now
from aicall.events import EventType
from tests.integration.dialer.support import add_contacts, make_dialer, prepare_campaign, run_until_idle

ANSWERS = "+84987654321"  # the simulator's last digit 1: answers, presses 1
BUSY = "+84987654323"


class Clock:
    def __init__(self) -> None:
        self.now = utc_now()

    def __call__(self) -> datetime:
        return self.now

    def catch_up(self) -> None:
        """To the wall clock: contacts added through the service are due from its time."""
        self.now = max(self.now, utc_now())

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def dialer(db, tmp_path, clock):
    emitted: list[tuple[str, dict[str, Any]]] = []

    def emit(_session: Any, *, application_id: str, event_type: EventType, payload: dict[str, Any]) -> None:
        emitted.append((event_type.value, payload))

    d = make_dialer(db, tmp_path, emit=emit)
    d.clock = clock
    d.emitted = emitted  # type: ignore[attr-defined]
    await d.router.start()
    yield d
    await d.router.close()


def _campaign(db, tenant) -> Campaign:
    with db.reading() as session:
        campaign = session.get(Campaign, tenant.campaign_id)
        assert campaign is not None
        return campaign


async def test_a_campaign_set_to_complete_does_so_once_quiet_for_its_quiet_period(db, tenant, dialer, clock):
    prepare_campaign(db, tenant, complete_when_done=True, quiet_period=600)
    add_contacts(db, tenant, [ANSWERS])
    clock.catch_up()
    await run_until_idle(dialer)
    done_at = clock.now

    clock.advance(599)
    await dialer.run_once()
    assert _campaign(db, tenant).status == "running"

    clock.advance(1)
    await dialer.run_once()
    campaign = _campaign(db, tenant)
    assert campaign.status == "completed"
    assert campaign.finished_at == done_at + timedelta(seconds=600)
    completed = [payload for kind, payload in dialer.emitted if kind == "campaign.completed"]
    assert [payload["reason"] for payload in completed] == ["all_contacts_done"]


async def test_a_contact_added_in_the_quiet_period_starts_it_again(db, tenant, dialer, clock):
    prepare_campaign(db, tenant, complete_when_done=True, quiet_period=600)
    add_contacts(db, tenant, [ANSWERS])
    clock.catch_up()
    await run_until_idle(dialer)

    clock.advance(500)
    add_contacts(db, tenant, ["+84987654329"])
    await run_until_idle(dialer)  # dialled at +500: quiet again from there
    clock.advance(599)
    await dialer.run_once()
    assert _campaign(db, tenant).status == "running"

    clock.advance(1)
    await dialer.run_once()
    assert _campaign(db, tenant).status == "completed"


async def test_a_contact_waiting_for_its_retry_keeps_the_campaign_open(db, tenant, dialer, clock):
    prepare_campaign(
        db,
        tenant,
        complete_when_done=True,
        quiet_period=0,
        retry={"busy": {"max_attempts": 1, "interval": 3600}},
    )
    add_contacts(db, tenant, [BUSY])
    clock.catch_up()
    await run_until_idle(dialer)

    clock.advance(3599)
    await dialer.run_once()
    assert _campaign(db, tenant).status == "running"

    clock.advance(1)
    await run_until_idle(dialer)  # the re-call, busy again: attempts exhausted, the contact fails
    await dialer.run_once()
    assert _campaign(db, tenant).status == "completed"


async def test_by_default_a_campaign_stays_open_for_new_contacts(db, tenant, dialer, clock):
    prepare_campaign(db, tenant)
    add_contacts(db, tenant, [ANSWERS])
    clock.catch_up()
    await run_until_idle(dialer)

    clock.advance(30 * 86400)
    await dialer.run_once()
    assert _campaign(db, tenant).status == "running"
    add_contacts(db, tenant, ["+84987654329"])  # still accepted
    await run_until_idle(dialer)
    assert not [kind for kind, _payload in dialer.emitted if kind == "campaign.completed"]
