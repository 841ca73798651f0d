"""Field names the docs quote are real ones (issue 12: `call_attempts`, not a name the API never
answers): every `snake_case` name in backticks in the README and the API docs is a property or
value of the OpenAPI document, of a webhook schema or body, a call outcome, end or close reason, an
export column, or one of the few words below that are not fields."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from aicall.app import create_app
from aicall.calls.models import AttemptStatus
from aicall.calls.outcomes import CallOutcome, EndReason
from aicall.campaigns.export import RESULT_COLUMNS
from aicall.campaigns.lifecycle import CloseReason, PauseReason, ResumeReason
from aicall.config import Settings
from aicall.webhooks import payloads

ROOT = Path(__file__).resolve().parents[2]
DOCS = ["README.md", "docs/api-contract.md", "docs/campaigns.md", "docs/scenarios.md", "docs/webhooks.md"]
NOT_FIELDS = {
    "api_key", "api_secret",  # printed by `aicall app create` / `init --demo`
    "ho_ten", "ghi_chu", "so_tien", "danh_xung", "so_dien_thoai",  # example tag keys
    "key_form",  # the rule that makes tag keys (CONTRACT §2)
    "auto_approve_scenarios",  # an account setting
    "call_back_later", "stop_calling", "wrong_person",  # example intents of a listening menu
    "idle_delay",  # a delivery loop parameter
    "webhook_deliveries",  # a table
    "aicall_answer_to_first_audio_seconds",  # a Prometheus metric
    "application_name", "pg_stat_activity", "pg_notify", "pg_terminate_backend",  # PostgreSQL's names
    "before_commit",  # an SQLAlchemy session event
}  # fmt: skip


def _names(node: Any, into: set[str]) -> set[str]:
    if isinstance(node, dict):
        into.update(node.get("properties", {}) if isinstance(node.get("properties"), dict) else ())
        into.update(str(value) for value in node.get("enum", []) if isinstance(node.get("enum"), list))
        for value in node.values():
            _names(value, into)
    elif isinstance(node, list):
        for value in node:
            _names(value, into)
    return into


@pytest.fixture(scope="module")
def known(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("data"), secret_key="k" * 32, run_engine=False)
    names = _names(create_app(settings).openapi(), set())
    for schema in (ROOT / "docs" / "webhooks").glob("*.json"):
        _names(json.loads(schema.read_text(encoding="utf-8")), names)
    for model in vars(payloads).values():  # the webhook bodies, which the schemas are made from
        if isinstance(model, type) and issubclass(model, BaseModel):
            names.update(model.model_fields)
    for vocabulary in (CallOutcome, EndReason, CloseReason, PauseReason, ResumeReason, AttemptStatus):
        names.update(member.value for member in vocabulary)
    return names | set(RESULT_COLUMNS) | NOT_FIELDS


@pytest.mark.parametrize("doc", DOCS)
def test_every_field_name_quoted_in_the_docs_is_a_real_one(doc: str, known: set[str]) -> None:
    text = re.sub(
        r"^```.*?^```", "", (ROOT / doc).read_text(encoding="utf-8"), flags=re.DOTALL | re.MULTILINE
    )
    quoted = set(re.findall(r"`([a-z][a-z0-9]*(?:_[a-z0-9]+)+)`", text))
    unknown = sorted(quoted - known)
    assert not unknown, f"{doc} quotes names the API, its webhooks and exports do not have: {unknown}"
