"""Query parameters are read as the document types them (both found by Schemathesis): the public
API takes no list in its query, so a parameter given twice is refused, naming it, rather than
read as one of its values (`?limit=false&...&limit=5`); an integer is digits (`?offset=0.0`)."""

from __future__ import annotations

from typing import Annotated

import httpx
import pytest
from fastapi import FastAPI
from pydantic import TypeAdapter, ValidationError

from aicall.app import create_app
from aicall.config import Settings
from aicall.web.params import WHOLE_NUMBER


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    return create_app(
        Settings(data_dir=tmp_path_factory.mktemp("data"), secret_key="k" * 32, run_engine=False)
    )


@pytest.mark.parametrize(
    "query", ["limit=5&limit=6", "status=pending&limit=5&status=failed", "offset=&offset=1"]
)
async def test_a_query_parameter_given_twice_is_refused_naming_it(app: FastAPI, query: str) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://aicall.test") as client:
        answer = await client.get(f"/api/v1/public-api/webhooks/events?{query}")
    assert answer.status_code == 400
    body = answer.json()
    assert body["status"] == 0 and body["code"] == 400
    assert body["message"].endswith("is given more than once: send it once")
    assert body["details"][0]["field"] in ("limit", "status", "offset")


async def test_distinct_parameters_pass_the_gate(app: FastAPI) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://aicall.test") as client:
        answer = await client.get("/api/v1/public-api/webhooks/events?limit=5&offset=1")
    assert answer.status_code == 401  # on to authentication


@pytest.mark.parametrize(
    ("text", "whole"), [("5", True), ("+3", True), ("-0", True), ("0.0", False), ("1e2", False)]
)
def test_an_integer_query_parameter_takes_digits_only(text: str, whole: bool) -> None:
    adapter = TypeAdapter(Annotated[int, WHOLE_NUMBER])
    if whole:
        assert adapter.validate_python(text) == int(text)
    else:
        with pytest.raises(ValidationError):
            adapter.validate_python(text)


def test_integer_query_parameters_stay_integers_in_the_document(app: FastAPI) -> None:
    ledger = app.openapi()["paths"]["/api/v1/public-api/balance/ledger"]["get"]
    offset = next(p for p in ledger["parameters"] if p["name"] == "offset")
    assert offset["schema"]["type"] == "integer" and offset["schema"]["maximum"] == 2**63 - 1
