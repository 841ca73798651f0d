"""`aicall serve`'s HTTP access log, as an operator reads it: a phone number a client sends in a
URL (a filter, a path) is masked however the client encoded it (docs/observability.md, Logs)."""

from __future__ import annotations

import subprocess
import sys

import requests

from tests.acceptance.support import clean_env, free_port, running, wait_for_http

SENT = [
    "phoneNumber=0912000001",
    "phoneNumber=%2B84912000001",  # "+84…" as a client puts it in a URL
    "phoneNumber=0912.000.001",
    "phoneNumber=0912%20000%20001",
    "phoneNumber=%2B84%20912%20000%20001",
]


def test_the_access_log_masks_a_number_in_a_query_however_it_is_encoded(tmp_path):
    env = clean_env(AICALL_RUN_ENGINE="false")
    subprocess.run([sys.executable, "-m", "aicall", "init"], cwd=tmp_path, env=env, check=True, timeout=120)
    port = free_port()
    with running(["serve", "--port", str(port)], tmp_path, env, "serve.log"):
        wait_for_http(f"http://127.0.0.1:{port}/healthz")
        for query in SENT:
            requests.get(
                f"http://127.0.0.1:{port}/api/v1/public-api/campaigns/c1/contacts?{query}", timeout=10
            )
    log = (tmp_path / "serve.log").read_text()
    assert log.count("/api/v1/public-api/campaigns/c1/contacts?") == len(SENT), log
    assert "phoneNumber=091****001 " in log and "phoneNumber=+849*****001 " in log
    assert not any(part in log for part in ("912000", "912%20000", "912.000", "0912000001")), log
