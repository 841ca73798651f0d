"""Every webhook event the code can emit is declared once (aicall.events.EventType) and
documented: each type named anywhere in src/ has its JSON Schema in docs/webhooks/, and no
emitter names a type with a bare string the enum does not see."""

from __future__ import annotations

import ast
import json
from pathlib import Path

from aicall import events
from aicall.events import EventType

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted((ROOT / "src" / "aicall").rglob("*.py"))
SCHEMAS = ROOT / "docs" / "webhooks"


def _trees() -> list[tuple[Path, ast.AST]]:
    return [(path, ast.parse(path.read_text(), filename=str(path))) for path in SOURCES]


def _emitted_types() -> set[EventType]:
    """The members of EventType that some module refers to (`EventType.CAMPAIGN_PAUSED`)."""
    found = set()
    for _path, tree in _trees():
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "EventType"
            ):
                found.add(EventType[node.attr])
    return found


def test_every_emitted_event_type_has_a_json_schema_in_the_docs():
    emitted = _emitted_types()
    # Each emitter (lifecycle, the dialer's result store, scenario review) names its types.
    assert {
        EventType.CAMPAIGN_PAUSED,
        EventType.CALL_ATTEMPT_FINISHED,
        EventType.SCENARIO_APPROVED,
    } <= emitted
    for event_type in emitted:
        schema_file = SCHEMAS / f"{event_type.value}.schema.json"
        assert schema_file.exists(), f"{event_type.value} is emitted but {schema_file} is missing"
        schema = json.loads(schema_file.read_text())
        assert schema["properties"]["type"]["const"] == event_type.value


def test_emitters_name_event_types_by_the_enum_not_by_a_string():
    bare = []
    for path, tree in _trees():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            named = [kw.value for kw in node.keywords if kw.arg == "event_type"]
            if isinstance(node.func, ast.Name) and node.func.id == "Event" and len(node.args) >= 2:
                named.append(node.args[1])
            bare += [
                f"{path.relative_to(ROOT)}:{value.lineno}"
                for value in named
                if isinstance(value, ast.Constant | ast.JoinedStr)
            ]
    assert not bare, f"event types written as strings (use aicall.events.EventType): {bare}"


def test_the_event_alias_is_declared_once():
    declared = [
        f"{path.relative_to(ROOT)}"
        for path, tree in _trees()
        for node in ast.walk(tree)
        if (isinstance(node, ast.ClassDef) and node.name == "Event")
        or (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "Event" for t in node.targets)
        )
    ]
    assert declared == [str(Path(events.__file__).relative_to(ROOT))]
