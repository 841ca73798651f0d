"""Calls run an approved, frozen version: edits never reach a call, nor new calls before approval."""

from __future__ import annotations

import pytest

from aicall.errors import ScenarioNotFound
from aicall.interpreter.script import ActionType
from aicall.scenarios import snapshot
from tests.integration.scenarios.helpers import Api, result


def test_edits_wait_for_approval_and_never_change_a_script_already_loaded(api: Api) -> None:
    scenario = api.approved_scenario()
    start = api.action(scenario["id"], "start")
    with api.db.reading() as session:
        in_flight = snapshot.load_script(session, scenario["id"])
    original = in_flight.actions[start["id"]].content_text

    api.update_action(start["id"], contentText="Nội dung mới {{ho_ten}}.")
    with api.db.reading() as session:
        next_call = snapshot.load_script(session, scenario["id"])
    assert in_flight.actions[start["id"]].content_text == original  # the call in flight
    assert next_call.actions[start["id"]].content_text == original  # not approved yet
    assert next_call.version == in_flight.version

    api.submit(scenario["id"])
    api.approve(scenario["id"])
    with api.db.reading() as session:
        after_approval = snapshot.load_script(session, scenario["id"])
    assert after_approval.actions[start["id"]].content_text == "Nội dung mới {{ho_ten}}."
    assert after_approval.version > in_flight.version
    assert in_flight.actions[start["id"]].content_text == original


def test_a_deleted_action_stays_in_the_approved_version_until_the_next_approval(api: Api) -> None:
    scenario = api.approved_scenario()
    start = api.action(scenario["id"], "start")
    goodbye = api.action(scenario["id"], "goodbye")
    api.update_action(start["id"], responses=[])
    result(api.delete(f"/scenario-actions/{goodbye['id']}"))
    spare = api.create_action(scenario["id"], label="spare", type="END_CALL")
    with api.db.reading() as session:
        script = snapshot.load_script(session, scenario["id"])
    assert script.actions[goodbye["id"]].type is ActionType.END_CALL
    assert script.actions[start["id"]].responses[0].next_action_id == goodbye["id"]
    assert spare["id"] not in script.actions


def test_a_scenario_never_approved_runs_its_working_copy_only_when_allowed(api: Api) -> None:
    scenario = api.runnable_scenario()
    with api.db.reading() as session:
        script = snapshot.load_script(session, scenario["id"])
        assert script.actions[script.root_action_id].type is ActionType.OUTBOUND_CALL
        with pytest.raises(ScenarioNotFound):
            snapshot.load_script(session, scenario["id"], allow_unapproved=False)
        with pytest.raises(ScenarioNotFound):
            snapshot.load_script(session, "0" * 24)


def test_a_snapshot_round_trips_through_json(api: Api) -> None:
    scenario = api.runnable_scenario()
    with api.db.reading() as session:
        script = snapshot.load_script(session, scenario["id"])
    assert snapshot.from_json(snapshot.to_json(script)) == script
