"""`aicall token --export` prints the BASE a client reaches the API on: the port `aicall serve
--port` listens on (not AICALL_PORT's default 8000), AICALL_PORT when no server runs, and
AICALL_PUBLIC_URL above both."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.acceptance.support import clean_env, free_port, running, wait_for_http


def aicall(workdir: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aicall", *args],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def exported_base(workdir: Path, api_key: str, env: dict[str, str]) -> str:
    done = aicall(workdir, "token", "--app", api_key, "--export", env=env)
    assert done.returncode == 0, done.stderr
    [base] = [line.removeprefix("export BASE=") for line in done.stdout.splitlines() if "BASE=" in line]
    return base


def test_base_is_where_serve_listens_then_the_settings_once_it_stops(tmp_path):
    env = clean_env(AICALL_RUN_ENGINE="false")
    demo = json.loads(aicall(tmp_path, "init", "--demo", "--json", env=env).stdout)
    port = free_port()
    with running(["serve", "--host", "0.0.0.0", "--port", str(port)], tmp_path, env, "serve.log"):
        wait_for_http(f"http://127.0.0.1:{port}/healthz")
        assert exported_base(tmp_path, demo["api_key"], env) == f"http://127.0.0.1:{port}"
    # Stopped (SIGTERM): its record is gone; the settings say where the next one will listen.
    assert not (tmp_path / "var" / "serving").exists()
    assert exported_base(tmp_path, demo["api_key"], env) == "http://127.0.0.1:8000"
    other = free_port()
    assert exported_base(tmp_path, demo["api_key"], {**env, "AICALL_PORT": str(other)}) == (
        f"http://127.0.0.1:{other}"
    )
    public = {**env, "AICALL_PUBLIC_URL": "https://calls.example.com/"}
    assert exported_base(tmp_path, demo["api_key"], public) == "https://calls.example.com"
