"""Validation errors are formatted once: one message shape, one field-path syntax, everywhere."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel, ValidationError, field_validator

from aicall.errors import ValidationFailed, field_path
from aicall.scenarios import schemas as scenario_schemas
from aicall.web.envelope import install_error_handlers
from aicall.webhooks import schemas as webhook_schemas


class Contact(BaseModel):
    phone_number: str

    @field_validator("phone_number")
    @classmethod
    def _digits(cls, value: str) -> str:
        if not value.isdigit():
            raise ValueError("not a phone number")
        return value


class Batch(BaseModel):
    contacts: list[Contact]


BAD_FOURTH = {"contacts": [{"phone_number": "1"}] * 3 + [{"phone_number": "abc"}]}


def test_a_field_path_puts_list_positions_in_brackets_and_joins_names_with_dots() -> None:
    assert field_path(("contacts", 3, "phone_number")) == "contacts[3].phone_number"
    assert field_path(("actions", "start", "responses", 0)) == "actions.start.responses[0]"
    assert field_path(()) == ""


def test_a_named_field_leads_the_message_and_fills_the_details() -> None:
    failed = ValidationFailed("not a phone number", field=("contacts", 3, "phone_number"))

    assert (failed.code, failed.http_status) == (400, 400)
    assert failed.message == "Validation Failed: contacts[3].phone_number: not a phone number"
    assert failed.details == [{"field": "contacts[3].phone_number", "message": "not a phone number"}]


def test_a_reason_without_a_field_has_no_details() -> None:
    failed = ValidationFailed("the request body is empty")

    assert failed.message == "Validation Failed: the request body is empty"
    assert failed.details is None
    assert ValidationFailed().message == "Validation Failed"


def test_a_message_already_formatted_is_kept() -> None:
    assert ValidationFailed("Validation Failed: x: y").message == "Validation Failed: x: y"


def test_pydantic_errors_name_the_first_field_and_list_them_all() -> None:
    with pytest.raises(ValidationError) as caught:
        Batch.model_validate({"contacts": [{"phone_number": "abc"}, {}]})
    failed = ValidationFailed.from_errors(caught.value.errors(), prefix=("body",))

    assert failed.message == "Validation Failed: body.contacts[0].phone_number: not a phone number"
    assert [d["field"] for d in failed.details] == [
        "body.contacts[0].phone_number",
        "body.contacts[1].phone_number",
    ]


@pytest.mark.parametrize("parse", [scenario_schemas.parse, webhook_schemas.parse])
def test_every_body_parser_names_fields_the_same_way(parse: Any) -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse(Batch, BAD_FOURTH)

    assert caught.value.message == "Validation Failed: contacts[3].phone_number: not a phone number"
    assert caught.value.details[0]["field"] == "contacts[3].phone_number"


async def test_fastapis_own_validation_answers_in_the_envelope_with_the_same_paths() -> None:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/batch")
    async def batch(body: Batch) -> dict[str, int]:
        return {"count": len(body.contacts)}

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://aicall.test") as client:
        response = await client.post("/batch", json=BAD_FOURTH)

    assert response.status_code == 400
    body = response.json()
    assert body["status"] == 0 and body["code"] == 400
    assert body["message"] == "Validation Failed: contacts[3].phone_number: not a phone number"
    assert body["details"] == [{"field": "contacts[3].phone_number", "message": "not a phone number"}]
