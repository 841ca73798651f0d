"""A small client for the scenario API, driven over real HTTP as AICall customers do."""

from __future__ import annotations

from typing import Any

import requests

from aicall.db.engine import Database
from aicall.scenarios import service
from tests.integration.support import LiveServer, Tenant

BASE = "/api/v1/public-api"
VOICE = "hn_female_ngochuyen_full_48k-fhg"
THREE_FIELDS = [
    {"name": "Họ tên", "readingType": "TEXT"},
    {"name": "Số tiền", "readingType": "CURRENCY"},
    {"name": "Hạn thanh toán", "readingType": "DATE"},
]


class Api:
    def __init__(self, server: LiveServer, tenant: Tenant, db: Database) -> None:
        self.server = server
        self.tenant = tenant
        self.db = db

    def call(self, method: str, path: str, body: Any = None, **params: Any) -> requests.Response:
        return requests.request(
            method,
            self.server.url + BASE + path,
            json=body,
            params=params or None,
            headers=self.tenant.headers(),
            timeout=60,
        )

    def post(self, path: str, body: Any = None, **params: Any) -> requests.Response:
        return self.call("POST", path, body, **params)

    def get(self, path: str, **params: Any) -> requests.Response:
        return self.call("GET", path, **params)

    def put(self, path: str, body: Any) -> requests.Response:
        return self.call("PUT", path, body)

    def delete(self, path: str) -> requests.Response:
        return self.call("DELETE", path)

    # Shortcuts that expect success and return `result`.

    def create_scenario(self, **body: Any) -> dict[str, Any]:
        payload = {"name": "Nhắc nợ", "ttsConfig": {"voiceCode": VOICE}, "personalizedFields": THREE_FIELDS}
        payload.update(body)
        return result(self.post("/scenarios", payload))

    def actions(self, scenario_id: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = result(self.get("/scenario-actions", scenarioId=scenario_id))
        return found

    def action(self, scenario_id: str, label: str) -> dict[str, Any]:
        return next(a for a in self.actions(scenario_id) if a["label"] == label)

    def create_action(self, scenario_id: str, **body: Any) -> dict[str, Any]:
        return result(self.post("/scenario-actions", {"scenarioId": scenario_id, **body}))

    def update_action(self, action_id: str, **body: Any) -> dict[str, Any]:
        return result(self.put(f"/scenario-actions/{action_id}", body))

    def runnable_scenario(self, **body: Any) -> dict[str, Any]:
        """A scenario that passes validation: `start` asks, key 1 leads to a goodbye."""
        scenario = self.create_scenario(**body)
        goodbye = self.create_action(
            scenario["id"],
            label="goodbye",
            type="END_CALL",
            contentType="TEXT",
            contentText="Cảm ơn {{ho_ten}}.",
        )
        start = self.action(scenario["id"], "start")
        self.update_action(
            start["id"],
            contentText="Xin chào {{ho_ten}}, anh còn nợ {{so_tien}}. Bấm 1 để xác nhận.",
            responses=[{"keyPadMatch": "1", "nextActionId": goodbye["id"]}],
        )
        return scenario

    def submit(self, scenario_id: str) -> dict[str, Any]:
        body: dict[str, Any] = result(self.post(f"/scenarios/{scenario_id}/submit"), envelope=False)
        return body

    def approve(self, scenario_id: str) -> None:
        with self.db.transaction() as session:
            service.approve(session=session, scenario_id=scenario_id)

    def approved_scenario(self, **body: Any) -> dict[str, Any]:
        scenario = self.runnable_scenario(**body)
        self.submit(scenario["id"])
        self.approve(scenario["id"])
        return scenario


def result(response: requests.Response, *, envelope: bool = True) -> Any:
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == 1, body
    return body["result"] if envelope else body


def error(response: requests.Response, http: int, code: int, *contains: str) -> dict[str, Any]:
    assert response.status_code == http, response.text
    body = response.json()
    assert body["status"] == 0, body
    assert body["code"] == code, body
    for text in contains:
        assert text.lower() in body["message"].lower(), body["message"]
    return body
