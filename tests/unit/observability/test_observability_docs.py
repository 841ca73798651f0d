"""The dashboard, the alert rules and docs/observability.md name only metrics the code exports."""

from __future__ import annotations

import json
import re
from pathlib import Path

from prometheus_client import REGISTRY, CollectorRegistry

from aicall.observability import metrics

ROOT = Path(__file__).resolve().parents[3]
DOCS = ROOT / "docs"
NAME = re.compile(r"\baicall_[a-z_]*[a-z]\b")
SUFFIXES = ("_bucket", "_count", "_sum", "_total", "_created")


def exported() -> set[str]:
    """Every sample name this process's registry and the state collector can export."""
    state = CollectorRegistry(auto_describe=False)
    state.register(metrics.StateCollector(lambda: metrics.PlatformState()))
    names = set()
    for registry in (REGISTRY, state):
        for family in registry.collect():
            if family.name.startswith("aicall_"):
                names.add(family.name)
                names.update(family.name + suffix for suffix in SUFFIXES)
    return names


def test_every_metric_the_dashboard_queries_exists():
    dashboard = json.loads((DOCS / "observability" / "grafana-dashboard.json").read_text())
    queried = {
        name
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in NAME.findall(target["expr"])
    }
    assert queried and queried <= exported(), queried - exported()


def test_every_metric_the_alert_rules_use_exists():
    rules = (DOCS / "observability" / "alerts.yml").read_text()
    used = set(NAME.findall(rules))
    assert {
        "aicall_calls_started_total",
        "aicall_webhook_backlog",
        "aicall_account_balance_available_vnd",
    } <= used
    assert used <= exported(), used - exported()


def test_the_docs_list_every_exported_metric():
    page = (DOCS / "observability.md").read_text()
    documented = set(NAME.findall(page))
    families = {name for name in exported() if not name.endswith(SUFFIXES) or name.endswith("_seconds")}
    assert families <= documented | {n.removesuffix("_total") for n in documented}, families - documented
