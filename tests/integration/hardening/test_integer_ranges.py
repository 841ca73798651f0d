"""Issue 11, class 2: every integer a client sends is range-checked (400 naming the parameter),
on both databases; `/scenario-actions` is paged like the other lists."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.integration.hardening.helpers import API
from tests.integration.support import LiveServer, Tenant

BIGINT_MAX = 2**63 - 1


def _document(server: LiveServer) -> dict[str, Any]:
    return server.app.openapi()


def _integer_query_parameters(server: LiveServer) -> list[tuple[str, str, dict[str, Any]]]:
    """(path, parameter name, schema) of every integer query parameter of every GET."""
    found = []
    for path, operations in _document(server)["paths"].items():
        for parameter in operations.get("get", {}).get("parameters", []):
            schema = parameter.get("schema", {})
            if parameter["in"] == "query" and schema.get("type") == "integer":
                found.append((path, parameter["name"], schema))
    return found


def _fill(path: str, tenant: Tenant, scenario_id: str) -> str:
    return path.replace("{campaign_id}", tenant.campaign_id).replace("{scenario_id}", scenario_id)


def _scenario(server: LiveServer, tenant: Tenant) -> str:
    answer = requests.post(
        f"{server.url}{API}/scenarios", json={"name": "s"}, headers=tenant.headers(), timeout=30
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["result"]["id"])


def test_every_integer_query_parameter_is_refused_out_of_range_naming_it(
    live_server: LiveServer, tenant: Tenant
):
    scenario_id = _scenario(live_server, tenant)
    parameters = _integer_query_parameters(live_server)
    names = {(path, name) for path, name, _ in parameters}
    # The lists: campaigns, contacts, ledger, scenarios, scenario actions, deliveries, events.
    assert {(f"{API}/scenario-actions", "offset"), (f"{API}/campaigns", "offset")} <= names, names
    for path, name, schema in parameters:
        url = live_server.url + _fill(path, tenant, scenario_id)
        extra = {"scenarioId": scenario_id} if path.endswith("/scenario-actions") else {}
        for value in (2**63, 2**64 + 5, -(2**63) - 1, schema["maximum"] + 1, schema["minimum"] - 1):
            answer = requests.get(url, params={**extra, name: value}, headers=tenant.headers(), timeout=30)
            assert answer.status_code == 400, (path, name, value, answer.text)
            body = answer.json()
            assert body["code"] == 400 and body["details"][0]["field"] == name, (path, name, body)
        answer = requests.get(
            url, params={**extra, name: schema["maximum"]}, headers=tenant.headers(), timeout=30
        )
        assert answer.status_code == 200, (path, name, answer.text)


def test_the_largest_offset_is_answered_with_an_empty_page(live_server: LiveServer, tenant: Tenant):
    answer = requests.get(
        f"{live_server.url}{API}/campaigns/{tenant.campaign_id}/contacts",
        params={"offset": BIGINT_MAX},
        headers=tenant.headers(),
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["result"]["contacts"] == []


def _integers(
    schema: Any, where: str, document: dict[str, Any], seen: set[str]
) -> list[tuple[str, dict[str, Any]]]:
    """Every integer schema reachable from `schema`, with where it is."""
    if isinstance(schema, list):
        return [
            found
            for i, item in enumerate(schema)
            for found in _integers(item, f"{where}[{i}]", document, seen)
        ]
    if not isinstance(schema, dict):
        return []
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        if name in seen:
            return []
        seen.add(name)
        return _integers(document["components"]["schemas"][name], name, document, seen)
    found = [(where, schema)] if schema.get("type") == "integer" else []
    for key, value in schema.items():
        if key in ("properties", "patternProperties"):
            for prop, sub in value.items():
                found += _integers(sub, f"{where}.{prop}", document, seen)
        elif key in ("items", "additionalProperties", "anyOf", "oneOf", "allOf", "not"):
            found += _integers(value, f"{where}.{key}", document, seen)
    return found


def test_every_integer_a_client_can_send_has_a_documented_range(live_server: LiveServer):
    document = _document(live_server)
    unbounded = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            inputs: list[tuple[str, Any]] = [
                (f"{method} {path} {p['name']}", p.get("schema", {})) for p in operation.get("parameters", [])
            ]
            for media in operation.get("requestBody", {}).get("content", {}).values():
                inputs.append((f"{method} {path} body", media.get("schema", {})))
            for where, schema in inputs:
                for place, integer in _integers(schema, where, document, set()):
                    if "minimum" not in integer or "maximum" not in integer:
                        unbounded.append(place)
    assert unbounded == [], "\n".join(unbounded)


@pytest.fixture
def actions(live_server: LiveServer, tenant: Tenant) -> tuple[str, list[str]]:
    scenario_id = _scenario(live_server, tenant)
    for index in range(5):
        created = requests.post(
            f"{live_server.url}{API}/scenario-actions",
            json={"scenarioId": scenario_id, "type": "END_CALL", "label": f"end {index}"},
            headers=tenant.headers(),
            timeout=30,
        )
        assert created.status_code == 200, created.text
    listed = requests.get(
        f"{live_server.url}{API}/scenario-actions",
        params={"scenarioId": scenario_id},
        headers=tenant.headers(),
        timeout=30,
    ).json()
    return scenario_id, [a["id"] for a in listed["result"]]


def test_scenario_actions_are_paged_like_the_other_lists(live_server: LiveServer, tenant: Tenant, actions):
    scenario_id, every = actions
    assert len(every) == 7  # the root, `start`, and five more
    page = requests.get(
        f"{live_server.url}{API}/scenario-actions",
        params={"scenarioId": scenario_id, "limit": 3, "offset": 2},
        headers=tenant.headers(),
        timeout=30,
    ).json()
    assert [a["id"] for a in page["result"]] == every[2:5]
    assert page["total_count"] == 7


def test_a_tag_number_json_cannot_carry_exactly_rejects_its_contact(live_server: LiveServer, tenant: Tenant):
    contacts = [
        {"phone_number": "0987654321", "so_tien": 2**53 - 1},
        {"phone_number": "0987654322", "so_tien": 2**53},
        {"phone_number": "0987654323", "so_tien": -(2**63)},
    ]
    answer = requests.post(
        f"{live_server.url}{API}/campaign",
        json={"campaign_id": tenant.campaign_id, "contacts": contacts},
        headers=tenant.headers(),
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [c["so_tien"] for c in body["result"]] == [str(2**53 - 1)]
    assert [r["index"] for r in body["rejected"]] == [1, 2]
    assert "send it as a string" in body["rejected"][0]["reason"]
