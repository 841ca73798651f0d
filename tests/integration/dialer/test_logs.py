"""The engine's log events, as an operator's log pipeline receives them (JSON lines): a call's
result and a campaign's pause carry the ids of their work and no full phone number."""

from __future__ import annotations

import io
import json

import pytest

from aicall import notify
from aicall.observability import logging as logs
from tests.integration.dialer.support import add_contacts, make_dialer, prepare_campaign, run_until_idle


@pytest.fixture
def log_lines():
    stream = io.StringIO()
    logs.configure(fmt="json", stream=stream)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logs.reset()


async def test_a_calls_result_is_one_event_with_its_ids_and_a_masked_number(db, tenant, tmp_path, log_lines):
    prepare_campaign(db, tenant)
    add_contacts(db, tenant, ["+84987654320"])
    dialer = make_dialer(db, tmp_path)
    await dialer.router.start()
    try:
        await run_until_idle(dialer)
    finally:
        await dialer.router.close()
    [finished] = [line for line in log_lines() if line["event"] == "call finished"]
    assert finished["campaign_id"] == tenant.campaign_id
    assert finished["account_id"] == tenant.account_id
    assert finished["contact_id"] and finished["attempt_id"]
    assert finished["outcome"] == "answered" and finished["phone"] == "+849*****320"
    assert "987654320" not in json.dumps(log_lines())


async def test_a_balance_pause_is_logged_with_its_reason(db, tenant, tmp_path, log_lines):
    prepare_campaign(db, tenant, balance=500, max_duration=60)  # one call reserves 1000 đ
    add_contacts(db, tenant, ["+84987654321"])
    dialer = make_dialer(db, tmp_path, emit=notify.emit)
    await dialer.router.start()
    try:
        assert await dialer.run_once() == 0
    finally:
        await dialer.router.close()
    [paused] = [line for line in log_lines() if line["event"] == "campaign paused"]
    assert paused["campaign_id"] == tenant.campaign_id and paused["reason"] == "insufficient_balance"
