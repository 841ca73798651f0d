"""The whole flow, step by step, the way an AICall client builds a scenario (camelCase bodies),
ending with the reviewer's approval through the command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from aicall.interpreter.script import ActionType, FieldSpec, KeyResponse
from aicall.scenarios import snapshot
from tests.integration.scenarios.helpers import THREE_FIELDS, VOICE, Api, result
from tests.integration.support import SECRET_KEY


def run_cli(api: Api, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "AICALL_DATABASE_URL": api.db.url,
        "AICALL_DATA_DIR": str(api.server.settings.data_dir),
        "AICALL_SECRET_KEY": SECRET_KEY,
    }
    code = "import sys; from aicall.scenarios.cli import scenario_cli; scenario_cli(sys.argv[1:])"
    return subprocess.run(
        [sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_a_client_builds_submits_and_gets_a_scenario_approved(api: Api) -> None:
    # 1. Create a scenario with three personalised fields.
    created = result(
        api.post(
            "/scenarios",
            {
                "name": "Nhắc thanh toán",
                "description": "Nhắc khách hàng thanh toán hoá đơn",
                "ttsConfig": {"voiceCode": VOICE, "speed": 1.1},
                "callConfig": {"poolHotlineKey": "POOL_SYSTEM", "maxConcurrent": 5, "reCall": {"times": 1}},
                "personalizedFields": THREE_FIELDS,
            },
        )
    )
    scenario_id = created["id"]
    assert len(scenario_id) == 24 and int(scenario_id, 16) >= 0
    assert created["status"] == "DRAFT"
    assert [(f["name"], f["key"], f["reading_type"]) for f in created["personalized_fields"]] == [
        ("Họ tên", "ho_ten", "TEXT"),
        ("Số tiền", "so_tien", "CURRENCY"),
        ("Hạn thanh toán", "han_thanh_toan", "DATE"),
    ]

    # 2. List its actions: the OUTBOUND_CALL root and the `start` menu it leads to.
    actions = api.actions(scenario_id)
    [root] = [a for a in actions if a["type"] == "OUTBOUND_CALL"]
    output = root["system_outputs"][0]
    assert output["label"] == "start"
    first = next(a for a in actions if a["id"] == output["next_action_id"])
    assert first["type"] == "INTERACTIVE_MENU" and first["label"] == "start"
    assert first["content_type"] == "TEXT"
    assert first["response_setting"]["response_type"] == "KEYPAD"
    assert first["responses"] == []
    assert first["action_inputs"] == [
        {"id": first["action_inputs"][0]["id"], "action_id": first["id"], "output_id": output["id"],
         "from_action_id": root["id"]}
    ]  # fmt: skip

    # 3. Give the first action a prompt and a keypad setting with a timeout.
    prompt = (
        "Xin chào {{ho_ten}}. Quý khách còn nợ {{so_tien}}, hạn {{Hạn thanh toán}}. "
        "Bấm 1 để xác nhận, bấm 2 để nghe lại."
    )
    updated = api.update_action(
        first["id"],
        contentType="TEXT",
        contentText=prompt,
        responseSetting={"responseType": "KEYPAD", "timeout": 8},
    )
    assert updated["content_text"] == prompt
    assert updated["response_setting"]["timeout"] == 8

    # 4. Two more menus.
    confirm = api.create_action(
        scenario_id, label="confirm", type="INTERACTIVE_MENU", contentType="TEXT",
        contentText="Cảm ơn {{ho_ten}} đã xác nhận.",
        responseSetting={"responseType": "KEYPAD", "timeout": 5},
    )  # fmt: skip
    repeat = api.create_action(
        scenario_id, label="repeat", type="INTERACTIVE_MENU", contentType="TEXT",
        contentText="Số tiền là {{so_tien}}. Chào quý khách.",
        responseSetting={"responseType": "KEYPAD", "timeout": 5},
    )  # fmt: skip
    assert confirm["scenario_id"] == scenario_id and confirm["responses"] == []

    # 5. Link keys to them.
    linked = api.update_action(
        first["id"],
        responses=[
            {"keyPadMatch": "1", "nextActionId": confirm["id"]},
            {"keyPadMatch": "2", "nextActionId": repeat["id"]},
        ],
    )
    assert [(r["key_pad_match"], r["next_action_id"]) for r in linked["responses"]] == [
        ("1", confirm["id"]),
        ("2", repeat["id"]),
    ]
    assert linked["content_text"] == prompt  # untouched by the partial update

    # 6. Relink: the new list replaces the old one whole.
    relinked = api.update_action(first["id"], responses=[{"keyPadMatch": "2", "nextActionId": confirm["id"]}])
    assert [(r["key_pad_match"], r["next_action_id"]) for r in relinked["responses"]] == [
        ("2", confirm["id"])
    ]

    # 7. Read everything back.
    scenario = result(api.get(f"/scenarios/{scenario_id}"))
    assert scenario["tts_config"] == {"speed": 1.1, "voice_code": VOICE}
    assert scenario["call_config"]["max_concurrent"] == 5
    assert scenario["call_config"]["re_call"]["times"] == 1
    by_id = {a["id"]: a for a in api.actions(scenario_id)}
    assert set(by_id) == {root["id"], first["id"], confirm["id"], repeat["id"]}
    assert by_id[first["id"]]["response_setting"]["timeout"] == 8
    assert [i["from_action_id"] for i in by_id[confirm["id"]]["action_inputs"]] == [first["id"]]
    assert by_id[repeat["id"]]["action_inputs"] == []  # unlinked by the relink

    # 8. Submit for review.
    assert api.post(f"/scenarios/{scenario_id}/submit").json() == {
        "message": "success",
        "status": 1,
        "scenario_status": "REVIEWING",
    }
    assert result(api.get(f"/scenarios/{scenario_id}"))["status"] == "REVIEWING"

    # 9. The reviewer approves it from the command line.
    approved = run_cli(api, "approve", scenario_id, "--json")
    assert approved.returncode == 0, approved.stderr
    assert json.loads(approved.stdout)["status"] == "ACTIVE"
    scenario = result(api.get(f"/scenarios/{scenario_id}"))
    assert scenario["status"] == "ACTIVE"
    assert scenario["published_version"] == scenario["version"]

    # What the dialer will run: exactly what was built.
    with api.db.reading() as session:
        script = snapshot.load_script(session, scenario_id)
    assert script.root_action_id == root["id"]
    assert script.actions[root["id"]].type is ActionType.OUTBOUND_CALL
    assert script.actions[root["id"]].next_action_id == first["id"]
    start = script.actions[first["id"]]
    assert start.content_text == prompt and start.timeout == 8
    assert start.responses == (KeyResponse("2", confirm["id"]),)
    assert start.max_retries == 2
    # `confirm` has no responses: a closing announcement, said once.
    assert script.actions[confirm["id"]].max_retries == 0
    assert script.fields == (
        FieldSpec("Họ tên", "ho_ten", "TEXT"),
        FieldSpec("Số tiền", "so_tien", "CURRENCY"),
        FieldSpec("Hạn thanh toán", "han_thanh_toan", "DATE"),
    )
    assert (script.voice_code, script.speed, script.dialect) == (VOICE, 1.1, "north")
    assert script.version == scenario["version"]


def test_the_reviewer_rejects_with_a_reason_and_an_edit_returns_the_scenario_to_draft(api: Api) -> None:
    scenario = api.runnable_scenario()
    api.submit(scenario["id"])
    rejected = run_cli(api, "reject", scenario["id"], "--reason", "Thiếu lời chào")
    assert rejected.returncode == 0, rejected.stderr
    assert "REJECT" in rejected.stdout
    after = result(api.get(f"/scenarios/{scenario['id']}"))
    assert (after["status"], after["reject_reason"]) == ("REJECT", "Thiếu lời chào")

    again = run_cli(api, "approve", scenario["id"])
    assert again.returncode == 1
    assert "REVIEWING" in again.stderr

    result(api.put(f"/scenarios/{scenario['id']}", {"description": "Đã thêm lời chào"}))
    edited = result(api.get(f"/scenarios/{scenario['id']}"))
    assert (edited["status"], edited["reject_reason"]) == ("DRAFT", None)
    assert api.submit(scenario["id"])["message"] == "success"


def test_the_cli_refuses_an_unknown_scenario(api: Api) -> None:
    missing = run_cli(api, "approve", "0" * 24)
    assert missing.returncode == 1
    assert "not found" in missing.stderr.lower()
