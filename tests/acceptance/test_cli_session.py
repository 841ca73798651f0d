"""A whole session from a terminal, each step the real CLI as a subprocess: a new database, an
application, a token, a scenario from a JSON file, a campaign, contacts from an XLSX file with a
bad row, start, wait, list, export; the exported rows are the API's (issue 12, acceptance)."""

from __future__ import annotations

import csv
import json
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests
from openpyxl import Workbook

from tests.acceptance.support import clean_env, free_port, running, wait_for_http

SCENARIO = {
    "name": "Xác nhận đơn hàng",
    "personalizedFields": [{"name": "Họ tên", "readingType": "TEXT"}],
    "callConfig": {"reCall": {"times": 0}},
    "actions": [
        {"label": "thanks", "type": "END_CALL", "contentText": "Cảm ơn {{ho_ten}}."},
        {"label": "later", "type": "END_CALL", "contentText": "Chúng tôi sẽ gọi lại."},
        {
            "label": "start",
            "contentText": "Xin chào {{ho_ten}}, bấm 1 để xác nhận đơn hàng, bấm 2 để được gọi lại.",
            "responseSetting": {"responseType": "KEYPAD", "timeout": 3, "maxRetries": 0},
            "responses": [
                {"keyPadMatch": "1", "nextActionId": "thanks"},
                {"keyPadMatch": "2", "nextActionId": "later"},
            ],
        },
    ],
}
# The simulator's last digit: 1 answers and presses 1, 2 presses 2, 6 rejects, 8 does not exist.
ROWS = [
    ("0987654321", "An"),
    ("0987654322", "Bình"),
    ("12ab", "Sai số"),
    ("0987654326", "Chi"),
    ("0987654328", "Dũng"),
]
FINAL = {"done", "failed", "cancelled", "do_not_call"}


def aicall(workdir: Path, env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "aicall", *args],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"aicall {' '.join(args)}: {done.stdout}\n{done.stderr}"
    return done.stdout


def aicall_json(workdir: Path, env: dict[str, str], *args: str) -> Any:
    return json.loads(aicall(workdir, env, *args, "--json"))


def exported_lines(text: str) -> dict[str, str]:
    """`export NAME=value` lines as a shell reads them."""
    out = {}
    for line in text.splitlines():
        words = shlex.split(line)
        assert words[0] == "export", line
        for word in words[1:]:
            name, _, value = word.partition("=")
            out[name] = value
    return out


def test_a_whole_session_from_the_command_line(tmp_path: Path) -> None:
    port = free_port()
    env = clean_env(AICALL_PORT=str(port), AICALL_SIM_TIME_SCALE="0.05", AICALL_TTS_ENGINE="none")

    aicall_json(tmp_path, env, "init")
    app = aicall_json(tmp_path, env, "app", "create", "--name", "Cửa hàng")
    key = app["api_key"]
    aicall_json(tmp_path, env, "balance", "topup", "--app", key, "--amount", "1000000")
    # Caller numbers with no trunk: the simulator dials (AICALL_TELEPHONY=sim, the default).
    aicall_json(
        tmp_path, env, "pool", "create", "--key", "POOL_SYSTEM", "--numbers", "+842873000001,+842873000002"
    )

    (tmp_path / "bad.json").write_text(json.dumps({"name": " ", "dialect": "east"}), encoding="utf-8")
    refused = subprocess.run(
        [sys.executable, "-m", "aicall", "scenario", "create", "--app", key, "--file", "bad.json"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert refused.returncode == 1 and refused.stderr.startswith("error: "), refused.stderr
    assert "name" in refused.stderr or "dialect" in refused.stderr, refused.stderr
    (tmp_path / "scenario.json").write_text(json.dumps(SCENARIO, ensure_ascii=False), encoding="utf-8")
    scenario = aicall_json(
        tmp_path, env, "scenario", "create", "--app", key, "--file", "scenario.json", "--submit"
    )
    if scenario["status"] == "REVIEWING":
        scenario = aicall_json(tmp_path, env, "scenario", "approve", scenario["scenario_id"])
    assert scenario["status"] == "ACTIVE", scenario

    campaign_id = aicall_json(
        tmp_path, env, "campaign", "create", "--app", key, "--name", "Tháng 12",
        "--scenario-id", scenario["scenario_id"],
    )["campaign_id"]  # fmt: skip

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Số điện thoại", "Họ tên"])
    for row in ROWS:
        sheet.append(list(row))
    book.save(tmp_path / "khach-hang.xlsx")
    imported = aicall(
        tmp_path, env, "contacts", "import", "khach-hang.xlsx", "--campaign", campaign_id,
        "--report", "rejected.csv",
    )  # fmt: skip
    assert "4" in imported, imported
    with (tmp_path / "rejected.csv").open(encoding="utf-8-sig", newline="") as report:
        rejected = list(csv.DictReader(report))
    assert [(r["row"], r["phone_number"]) for r in rejected] == [("4", "12ab")], rejected

    aicall(tmp_path, env, "campaign", "start", campaign_id)
    with running(["serve"], tmp_path, env, "serve.log"):
        wait_for_http(f"http://127.0.0.1:{port}/healthz")
        api = exported_lines(aicall(tmp_path, env, "token", "--app", key, "--export"))
        deadline = time.monotonic() + 90
        while True:
            contacts = aicall_json(tmp_path, env, "contacts", "list", "--campaign", campaign_id)
            if {c["status"] for c in contacts["contacts"]} <= FINAL:
                break
            assert time.monotonic() < deadline, (tmp_path / "serve.log").read_text(errors="replace")[-3000:]
            time.sleep(0.5)
        answer = requests.get(
            f"{api['BASE']}/api/v1/public-api/campaigns/{campaign_id}/contacts",
            params={"limit": 50},
            headers={"Authorization": f"Bearer {api['TOKEN']}"},
            timeout=30,
        )
    assert answer.status_code == 200, answer.text
    by_api = {c["phone_number"]: c for c in answer.json()["result"]["contacts"]}

    assert contacts["total_count"] == 4
    outcomes = {c["phone_number"]: (c["status"], c["last_outcome"]) for c in contacts["contacts"]}
    assert outcomes == {
        "+84987654321": ("done", "answered"),
        "+84987654322": ("done", "answered"),
        "+84987654326": ("failed", "rejected"),
        "+84987654328": ("failed", "invalid_number"),
    }

    aicall(
        tmp_path, env, "contacts", "export", "--campaign", campaign_id, "--format", "csv", "-o", "ket-qua.csv"
    )
    with (tmp_path / "ket-qua.csv").open(encoding="utf-8-sig", newline="") as exported:
        rows = list(csv.DictReader(exported))
    assert sorted(row["phone_number"] for row in rows) == sorted(by_api)
    for row in rows:
        contact = by_api[row["phone_number"]]
        assert row["contact_id"] == contact["id"]
        assert row["status"] == contact["status"]
        assert row["last_outcome"] == contact["last_outcome"]
        assert int(row["attempts"]) == contact["attempts"]
        assert row["ho_ten"] == contact["tags"]["ho_ten"]
