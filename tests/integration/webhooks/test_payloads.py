"""The documented payloads: schemas up to date, examples valid, emitters' payloads valid."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from aicall.calls import events as call_events
from aicall.calls.models import CallAttempt
from aicall.campaigns.models import Contact
from aicall.interpreter.script import ActionType
from aicall.interpreter.trace import Step, StepResult
from aicall.webhooks import payloads
from tests.integration.webhooks.helpers import EXAMPLES

DOCS = EXAMPLES.parent
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.json"))


def test_the_schema_files_in_docs_are_generated_from_the_models(tmp_path):
    (tmp_path / "examples").symlink_to(EXAMPLES)
    for written in payloads.export_schemas(tmp_path):
        documented = DOCS / written.name
        assert documented.exists(), (
            f"missing {documented}: run python -m aicall.webhooks.payloads docs/webhooks"
        )
        assert json.loads(documented.read_text()) == json.loads(written.read_text()), (
            f"{documented.name} is stale: run python -m aicall.webhooks.payloads docs/webhooks"
        )


def test_every_event_type_has_a_schema_and_an_example():
    for event_type in payloads.EVENT_TYPES:
        schema = json.loads((DOCS / f"{event_type}.schema.json").read_text())
        assert schema["properties"]["type"]["const"] == event_type
        assert schema["examples"], f"{event_type} has no example"


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.stem)
def test_each_documented_example_matches_its_schema(path: Path):
    body = json.loads(path.read_text())
    payloads.validate_body(body)
    payloads.validate_data(body["type"], body["data"])


def test_a_body_off_its_schema_is_refused_with_the_field_named():
    body = json.loads((EXAMPLES / "call.attempt.finished.json").read_text())
    body["data"]["attempt"]["outcome"] = "picked_up"
    with pytest.raises(ValueError, match="outcome"):
        payloads.validate_body(body)
    body["data"]["attempt"]["outcome"] = "answered"
    body["data"]["phone_number"] = "0987654321"  # not E.164
    with pytest.raises(ValueError, match="phone_number"):
        payloads.validate_data("call.attempt.finished", body["data"])


def test_the_dialers_payload_builders_produce_documented_payloads():
    at = datetime(2026, 11, 26, 2, 15, 1, tzinfo=UTC)
    contact = Contact(
        id="f95c4831-bc9d-4626-8713-a0a161cee01e",
        campaign_id="65252610c41c5b7fbb84e6d3",
        application_id="a",
        phone="+84987654321",
        tags={"ho_ten": "An"},
        status="done",
        attempts=1,
        last_outcome="answered",
    )
    step = Step(
        action_id="x1",
        label="start",
        type=next(iter(ActionType)),
        at=at,
        text="Xin chào",
        keys="1",
        result=StepResult.MATCHED,
    )
    attempt = CallAttempt(
        id="6566a1f2b7e4c0a1d2e3f405",
        number=1,
        outcome="answered",
        sip_code=200,
        sip_reason="OK",
        hotline="+842873001234",
        started_at=at,
        answered_at=at,
        ended_at=at,
        duration=12.3456,
        billable_seconds=18,
        cost=300,
        keys_pressed="1",
        end_reason="completed",
        path=[step.to_dict()],
    )
    _, event_type, data = call_events.attempt_finished(
        application_id="a", contact=contact, attempt=attempt, recording_url=None, next_attempt_at=None
    )
    payloads.validate_data(event_type, data)
    _, event_type, data = call_events.contact_finished(application_id="a", contact=contact, finished_at=at)
    payloads.validate_data(event_type, data)
