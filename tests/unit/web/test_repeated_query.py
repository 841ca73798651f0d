"""The public API takes no list in its query: a parameter given twice is refused, naming it,
rather than read as one of its values (found by Schemathesis: `?limit=false&...&limit=5`)."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from aicall.app import create_app
from aicall.config import Settings


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
