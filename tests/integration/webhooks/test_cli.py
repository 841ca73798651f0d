"""`aicall app update`, run as operators run it: a subprocess on a fresh data directory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from standardwebhooks import Webhook

# The `app` group with `update` registered, however cli.py is wired at the time.
RUN = (
    "import sys; from aicall.cli import cli, app_cli; from aicall.webhooks.cli import register; "
    "register(app_cli); cli(sys.argv[1:], prog_name='aicall')"
)


def aicall(workdir: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("AICALL_")}
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "-c", RUN, *args],
        check=False,
        cwd=workdir,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _create(workdir: Path) -> dict:
    assert aicall(workdir, "init").returncode == 0  # only init and serve create a database
    done = aicall(workdir, "app", "create", "--name", "Shop", "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_app_update_sets_the_url_and_events_and_prints_the_secret(tmp_path):
    app = _create(tmp_path)
    done = aicall(
        tmp_path,
        "app",
        "update",
        "--app",
        app["api_key"],
        "--webhook-url",
        "http://127.0.0.1:9/hook",
        "--events",
        "call.attempt.finished,contact.finished",
        "--json",
        AICALL_WEBHOOK_ALLOW_PRIVATE="1",
    )
    assert done.returncode == 0, done.stderr
    updated = json.loads(done.stdout)
    assert updated["application_id"] == app["application_id"]
    assert updated["webhook_url"] == "http://127.0.0.1:9/hook"
    assert updated["webhook_events"] == ["call.attempt.finished", "contact.finished"]
    assert updated["webhook_secret"] == app["webhook_secret"]
    Webhook(updated["webhook_secret"])  # a well-formed Standard Webhooks secret

    rotated = aicall(tmp_path, "app", "update", "--app", app["api_key"], "--rotate-secret", "--json")
    assert rotated.returncode == 0, rotated.stderr
    after = json.loads(rotated.stdout)
    assert after["webhook_secret"] != updated["webhook_secret"]
    assert (after["webhook_url"], after["webhook_events"]) == (
        updated["webhook_url"],
        updated["webhook_events"],
    )


def test_app_update_refuses_a_private_address_unless_the_operator_allows_it(tmp_path):
    app = _create(tmp_path)
    done = aicall(tmp_path, "app", "update", "--app", app["api_key"], "--webhook-url", "http://10.0.0.5/hook")
    assert done.returncode == 1
    assert "webhook URL refused: 10.0.0.5 is a private address" in done.stderr
    assert "AICALL_WEBHOOK_ALLOW_PRIVATE=true" in done.stderr


def test_app_update_explains_what_is_wrong(tmp_path):
    app = _create(tmp_path)
    scheme = aicall(
        tmp_path, "app", "update", "--app", app["api_key"], "--webhook-url", "ftp://example.com/x"
    )
    assert scheme.returncode == 1 and "must use http or https" in scheme.stderr
    events = aicall(tmp_path, "app", "update", "--app", app["api_key"], "--events", "call.done")
    assert events.returncode == 1 and "unknown event type(s) call.done" in events.stderr
    unknown = aicall(tmp_path, "app", "update", "--app", "nope", "--rotate-secret")
    assert unknown.returncode == 1 and "no application has API key nope" in unknown.stderr
