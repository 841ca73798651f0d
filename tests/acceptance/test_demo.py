"""Issue 4's acceptance: the README's run command, then the curl it prints; within a minute
every simulated path has happened, and the API says so."""

from __future__ import annotations

import re
import subprocess
import time

import requests

from tests.acceptance.support import bearer, clean_env, field, free_port, running, wait_for_http

EXPECTED = {
    "0": ("done", "answered", "1"),
    "1": ("done", "answered", "1"),
    "2": ("done", "answered", "2"),
    "3": (None, "busy", ""),
    "4": (None, "no_answer", ""),
    "5": ("done", "answered", ""),
    "6": ("failed", "rejected", ""),
    "7": ("done", "answered", ""),
    "8": ("failed", "invalid_number", ""),
    "9": ("done", "answered", "1"),
}


def test_demo_curl_reaches_every_path_within_a_minute(tmp_path):
    port = free_port()
    env = clean_env(AICALL_PORT=str(port), AICALL_SIM_TIME_SCALE="0.25", AICALL_TTS_ENGINE="none")
    with running(["serve", "--demo"], tmp_path, env, "serve.log"):
        base = f"http://127.0.0.1:{port}"
        wait_for_http(base + "/healthz")
        log = (tmp_path / "serve.log").read_text()
        curl = re.search(r"^\s*(curl -s -X POST .*)$", log, re.MULTILINE)
        assert curl, log
        added = subprocess.run(["bash", "-c", curl.group(1)], capture_output=True, text=True, timeout=30)
        assert '"status":1' in added.stdout, added.stdout + added.stderr
        headers = bearer(field(log, "api_key"), field(log, "api_secret"))
        campaign_id = field(log, "campaign_id")
        api = base + "/api/v1/public-api"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            counts = requests.get(f"{api}/campaigns/{campaign_id}", headers=headers, timeout=10).json()[
                "result"
            ]["counts"]
            if counts["attempts"] >= 10 and counts["calls_in_progress"] == 0:
                break
            time.sleep(0.5)
        assert counts["attempts"] >= 10, counts
        assert counts["by_outcome"]["answered"] == 6
        for outcome in ("busy", "no_answer", "rejected", "invalid_number"):
            assert counts["by_outcome"][outcome] >= 1, counts
        contacts = requests.get(
            f"{api}/campaigns/{campaign_id}/contacts", headers=headers, timeout=10
        ).json()["result"]["contacts"]
        assert len(contacts) == 10
        for contact in contacts:
            digit = contact["phone_number"][-1]
            status, outcome, keys = EXPECTED[digit]
            detail = requests.get(f"{api}/contacts/{contact['id']}", headers=headers, timeout=10).json()[
                "result"
            ]
            first = detail["call_attempts"][0]
            assert first["outcome"] == outcome, (digit, first)
            assert first["keys_pressed"] == keys, (digit, first)
            if status:
                assert detail["status"] == status, (digit, detail["status"])
            if digit == "5":
                assert first["end_reason"] == "remote_hangup"
            if outcome == "answered":
                assert first["path"][0]["text"].startswith(f"Xin chào Khách {digit}")
                # The demo records its calls, and the recording's URL serves the WAV to its owner.
                recording = requests.get(first["recording_url"], headers=headers, timeout=10)
                assert recording.status_code == 200, (digit, recording.text)
                assert recording.headers["content-type"] == "audio/wav"
                assert recording.content[:4] == b"RIFF" and len(recording.content) > 44, (digit, first)
        balance = requests.get(f"{api}/balance", headers=headers, timeout=10).json()["result"]
        assert 0 < balance["balance"] < 1_000_000
