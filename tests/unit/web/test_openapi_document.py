"""The OpenAPI document is a contract a machine can check: valid, typed, every error in the
envelope, no 422, a bearerAuth scheme, and /docs served from our own files."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from openapi_spec_validator import validate

from aicall.app import create_app
from aicall.campaigns.api_models import CampaignChange, CampaignIn, SettingsIn, SettingsRead
from aicall.campaigns.schemas import CampaignCreate, CampaignUpdate
from aicall.campaigns.settings import CampaignSettings
from aicall.config import Settings
from aicall.scenarios.schemas import VOICE_CODE_PATTERN
from aicall.speech.voices import DEFAULT_VOICE_CODE, is_known_voice
from aicall.web.envelope import error_body

PREFIX = "/api/v1/public-api"
METHODS = ("get", "put", "post", "delete", "patch")
# Operations that act on what the path names and take no body.
NO_BODY = {
    "start_campaign",
    "pause_campaign",
    "resume_campaign",
    "stop_campaign",
    "cancel_campaign",
    "cancel_contact",
    "submit_scenario",
    "rotate_secret",
    "replay_event",
}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    settings = Settings(data_dir=tmp_path_factory.mktemp("data"), secret_key="k" * 32, run_engine=False)
    return create_app(settings)


@pytest.fixture(scope="module")
def document(app: FastAPI) -> dict[str, Any]:
    return app.openapi()


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref is None:
        return schema
    resolved: dict[str, Any] = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
    return resolved


def test_the_document_is_valid_openapi(document: dict[str, Any]) -> None:
    validate(document)


def test_only_the_public_api_and_health_are_in_the_document(document: dict[str, Any]) -> None:
    paths = set(document["paths"])
    assert all(path.startswith(PREFIX) or path == "/healthz" for path in paths), paths
    assert len(list(operations(document))) >= 45


def test_every_operation_has_an_id_a_summary_and_a_typed_success(document: dict[str, Any]) -> None:
    ids = [op["operationId"] for _, _, op in operations(document)]
    assert len(ids) == len(set(ids))
    for path, method, operation in operations(document):
        label = f"{method.upper()} {path}"
        assert operation.get("summary"), label
        assert re.fullmatch(r"[a-z_]+", operation["operationId"]), label
        content = operation["responses"]["200"]["content"]
        schema = next(iter(content.values()))["schema"]
        assert schema, f"{label}: untyped success"
        if "application/json" in content:
            success = resolve(document, schema)
            assert success["properties"]["status"] == {"const": 1, "description": "1 on success"} or (
                success["properties"]["status"].get("const") == 1
            ), label


def test_operations_that_take_a_body_declare_it(document: dict[str, Any]) -> None:
    for path, method, operation in operations(document):
        if method in ("post", "put") and operation["operationId"] not in NO_BODY:
            assert "requestBody" in operation, f"{method.upper()} {path}"
            content = operation["requestBody"]["content"]
            assert next(iter(content.values()))["schema"], f"{method.upper()} {path}"


def test_add_contacts_has_the_contract_body_with_an_example(document: dict[str, Any]) -> None:
    operation = document["paths"][f"{PREFIX}/campaign"]["post"]
    body = operation["requestBody"]["content"]["application/json"]
    schema = resolve(document, body["schema"])
    assert set(schema["required"]) == {"campaign_id", "contacts"}
    contact = resolve(document, schema["properties"]["contacts"]["items"])
    assert contact["required"] == ["phone_number"]
    assert body["examples"]["AICall sample"]["value"]["contacts"][0]["phone_number"] == "0987654321"


def test_no_422_and_every_error_is_the_envelope(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    for path, method, operation in operations(document):
        for status, answer in operation["responses"].items():
            assert status != "422", f"{method.upper()} {path}"
            if status.startswith("4"):
                media = answer["content"]["application/json"]
                assert media["schema"] == {"$ref": "#/components/schemas/ErrorEnvelope"}
                assert media["example"]["status"] == 0


def test_the_error_envelope_schema_describes_what_the_api_answers(document: dict[str, Any]) -> None:
    envelope = document["components"]["schemas"]["ErrorEnvelope"]
    assert set(envelope["required"]) == {"status", "code", "message"}
    assert set(error_body(400, "Validation Failed", [{"field": "x", "message": "y"}])) == set(
        envelope["properties"]
    )


def test_authenticated_operations_use_bearer_auth_and_document_401_and_429(document: dict[str, Any]) -> None:
    scheme = document["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"], scheme["bearerFormat"]) == ("http", "bearer", "JWT")
    for path, method, operation in operations(document):
        if path == "/healthz" or path.startswith(f"{PREFIX}/audio/"):
            assert "security" not in operation
            continue
        label = f"{method.upper()} {path}"
        assert operation["security"] == [{"bearerAuth": []}], label
        assert {"401", "404", "429"} <= set(operation["responses"]), label
        names = {p["name"].lower() for p in operation.get("parameters", [])}
        assert "authorization" not in names, label


def test_json_bodies_document_400_413_and_415(document: dict[str, Any]) -> None:
    for path, method, operation in operations(document):
        if "application/json" in operation.get("requestBody", {}).get("content", {}):
            assert {"400", "413", "415"} <= set(operation["responses"]), f"{method.upper()} {path}"


def test_links_name_operations_that_exist(document: dict[str, Any]) -> None:
    ids = {op["operationId"] for _, _, op in operations(document)}
    links = [
        link
        for _, _, operation in operations(document)
        for link in operation["responses"]["200"].get("links", {}).values()
    ]
    assert len(links) >= 20
    assert {link["operationId"] for link in links} <= ids


async def test_docs_page_loads_swagger_ui_from_our_own_files(app: FastAPI) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://aicall.test") as client:
        page = await client.get("/docs")
        assert page.status_code == 200
        sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert sources and all(source.startswith("/docs/assets/") for source in sources), sources
        assert "<script>" not in page.text  # no inline script: the page keeps to a strict CSP
        for source in sources:
            assert (await client.get(source)).status_code == 200, source
        assert (await client.get("/redoc")).status_code == 404


def test_vendored_swagger_ui_version_is_the_one_the_script_fetches() -> None:
    from aicall.web import docs

    script = (Path(__file__).parents[3] / "scripts" / "vendor-static").read_text()
    assert f"swagger={docs.SWAGGER_UI_VERSION}\n" in script


@pytest.mark.parametrize(
    ("documented", "validated"),
    [(SettingsIn, CampaignSettings), (SettingsRead, CampaignSettings)],
)
def test_settings_models_of_the_document_name_every_setting(documented: Any, validated: Any) -> None:
    assert set(documented.model_fields) == set(validated.model_fields)


@pytest.mark.parametrize(
    ("documented", "validated"), [(CampaignIn, CampaignCreate), (CampaignChange, CampaignUpdate)]
)
def test_campaign_bodies_of_the_document_match_what_is_validated(documented: Any, validated: Any) -> None:
    assert set(documented.model_fields) == set(validated.model_fields)


@pytest.mark.parametrize(
    "code",
    [
        DEFAULT_VOICE_CODE,
        "sg_male_minhhoang_full_48k-fhg",
        "espeak:vi",
        "openai:alloy",
        "espeak:en",
        "hn_robot_x",
        "alloy",
        "openai:",
        "",
    ],
)
def test_the_documented_voice_pattern_agrees_with_the_voice_rules(code: str) -> None:
    assert bool(re.fullmatch(VOICE_CODE_PATTERN, code)) == is_known_voice(code)
