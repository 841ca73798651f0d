"""The CLI's reading commands run as an operator runs them: a token for the API, then list and
show for every object, as JSON for programs and as tables for people."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from tests.acceptance.support import clean_env, free_port, running, wait_for_http


def aicall(workdir: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aicall", *args],
        cwd=workdir,
        env=env or clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )


def as_json(workdir: Path, *args: str, env: dict[str, str] | None = None) -> object:
    done = aicall(workdir, *args, "--json", env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_token_export_lines_work_as_pasted_into_a_shell(tmp_path):
    port = free_port()
    env = clean_env(AICALL_PORT=str(port), AICALL_RUN_ENGINE="false")
    demo = as_json(tmp_path, "init", "--demo", env=env)
    assert isinstance(demo, dict)
    with running(["serve"], tmp_path, env, "serve.log"):
        wait_for_http(f"http://127.0.0.1:{port}/healthz")
        lines = aicall(tmp_path, "token", "--app", demo["api_key"], "--export", env=env)
        assert lines.returncode == 0, lines.stderr
        assert [line.split("=")[0] for line in lines.stdout.splitlines()] == ["export TOKEN", "export BASE"]
        script = (
            f'{lines.stdout}\ncurl -s -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/public-api/balance"'
        )
        answer = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=30)
    body = json.loads(answer.stdout)
    assert body["status"] == 1, body
    assert body["result"]["balance"] == 1_000_000


def test_a_token_without_export_is_one_line_that_expires_after_its_ttl(tmp_path):
    import jwt

    demo = as_json(tmp_path, "init", "--demo")
    assert isinstance(demo, dict)
    done = aicall(tmp_path, "token", "--app", demo["api_key"], "--ttl", "30m")
    assert done.returncode == 0, done.stderr
    claims = jwt.decode(done.stdout.strip(), demo["api_secret"], algorithms=["HS256"])
    assert claims["apiKey"] == demo["api_key"]
    assert claims["exp"] - claims["iat"] == 1800
    wrong = aicall(tmp_path, "token", "--app", "nope")
    assert wrong.returncode == 1 and "no application has API key nope" in wrong.stderr


def test_list_and_show_every_object_after_a_call(tmp_path):
    port = free_port()
    env = clean_env(AICALL_PORT=str(port), AICALL_SIM_TIME_SCALE="0.25", AICALL_TTS_ENGINE="none")
    demo = as_json(tmp_path, "init", "--demo", env=env)
    assert isinstance(demo, dict)
    key, campaign_id = demo["api_key"], demo["campaign_id"]
    # The demo's simulated number ending in 0 answers and presses 1.
    (tmp_path / "list.csv").write_text("phone_number,ho_ten,so_tien\n0987654320,An,150000\n")
    imported = aicall(tmp_path, "contacts", "import", "list.csv", "--campaign", campaign_id, env=env)
    assert imported.returncode == 0, imported.stderr
    with running(["serve"], tmp_path, env, "serve.log"):
        wait_for_http(f"http://127.0.0.1:{port}/healthz")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            shown = as_json(tmp_path, "campaign", "show", campaign_id, env=env)
            assert isinstance(shown, dict)
            if shown["counts"]["by_status"].get("done") == 1:
                break
            time.sleep(0.5)
    assert shown["counts"]["by_outcome"] == {"answered": 1}, shown
    assert shown["waiting_reason"] is None

    contacts = as_json(tmp_path, "contacts", "list", "--campaign", campaign_id, "--status", "done")
    assert isinstance(contacts, dict) and contacts["total_count"] == 1
    contact = as_json(tmp_path, "contact", "show", contacts["contacts"][0]["id"])
    assert isinstance(contact, dict)
    attempt = contact["call_attempts"][0]
    assert (attempt["outcome"], attempt["keys_pressed"]) == ("answered", "1")
    assert attempt["path"][0]["text"].startswith("Xin chào An")

    table = aicall(tmp_path, "contact", "show", contact["id"])
    assert table.returncode == 0, table.stderr
    assert "+84987654320" in table.stdout and "answered" in table.stdout
    assert all(line == line.rstrip() for line in table.stdout.splitlines())

    apps = as_json(tmp_path, "app", "list")
    assert isinstance(apps, list) and [a["api_key"] for a in apps] == [key]
    assert "api_secret" not in apps[0]
    campaigns = as_json(tmp_path, "campaign", "list", "--app", key)
    assert isinstance(campaigns, dict) and [c["id"] for c in campaigns["campaigns"]] == [campaign_id]
    scenarios = as_json(tmp_path, "scenario", "list")
    assert isinstance(scenarios, dict) and [s["id"] for s in scenarios["scenarios"]] == [demo["scenario_id"]]
    scenario = as_json(tmp_path, "scenario", "show", demo["scenario_id"])
    assert isinstance(scenario, dict) and scenario["status"] == "ACTIVE"
    pools = as_json(tmp_path, "pool", "list")
    assert isinstance(pools, list) and [p["key"] for p in pools] == ["POOL_SYSTEM"]
    assert as_json(tmp_path, "trunk", "list") == []
    balance = as_json(tmp_path, "balance", "show", "--app", key)
    assert isinstance(balance, dict) and 0 < balance["balance"] < 1_000_000
    deliveries = as_json(tmp_path, "webhook", "deliveries", "--app", key)
    assert deliveries == {"deliveries": [], "total_count": 0}  # the demo application has no webhook URL

    for args, expected in [
        (["app", "list"], key),
        (["campaign", "list"], campaign_id),
        (["campaign", "show", campaign_id], "Demo campaign"),
        (["contacts", "list", "--campaign", campaign_id], "+84987654320"),
        (["scenario", "show", demo["scenario_id"]], "so_tien"),
        (["pool", "list"], "POOL_SYSTEM"),
        (["trunk", "list"], "no SIP trunks"),
        (["balance", "show", "--app", key], "available"),
    ]:
        done = aicall(tmp_path, *args)
        assert done.returncode == 0, (args, done.stderr)
        assert expected in done.stdout, (args, done.stdout)
