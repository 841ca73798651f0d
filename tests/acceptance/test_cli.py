"""The CLI run as a subprocess, as operators and other tools run it."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest


def aicall(workdir: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("AICALL_")}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "aicall", *args],
        cwd=workdir,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_init_demo_twice_creates_once_and_prints_the_same_keys(tmp_path):
    first = aicall(tmp_path, "init", "--demo", "--json")
    assert first.returncode == 0, first.stderr
    second = aicall(tmp_path, "init", "--demo", "--json")
    assert second.returncode == 0, second.stderr
    a, b = json.loads(first.stdout), json.loads(second.stdout)
    assert a == b
    for key in ("api_key", "api_secret", "campaign_id"):
        assert a[key]
    key_file = tmp_path / "var" / "secret.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert (tmp_path / "var" / "aicall.db").exists()


def test_init_without_json_prints_a_ready_to_paste_curl(tmp_path):
    done = aicall(tmp_path, "init", "--demo")
    assert done.returncode == 0, done.stderr
    assert "curl -s -X POST http://127.0.0.1:8000/api/v1/public-api/campaign" in done.stdout
    assert "Authorization: Bearer " in done.stdout


def test_app_create_prints_keys_and_campaign_create_uses_them(tmp_path):
    assert aicall(tmp_path, "init").returncode == 0
    created = aicall(
        tmp_path, "app", "create", "--name", "Shop", "--webhook-url", "https://example.com/hook", "--json"
    )
    assert created.returncode == 0, created.stderr
    app = json.loads(created.stdout)
    assert {"application_id", "api_key", "api_secret"} <= set(app)
    campaign = aicall(tmp_path, "campaign", "create", "--app", app["api_key"], "--name", "Nhắc nợ", "--json")
    assert campaign.returncode == 0, campaign.stderr
    body = json.loads(campaign.stdout)
    assert len(body["campaign_id"]) == 24
    assert body["name"] == "Nhắc nợ"


def test_campaign_create_with_an_unknown_key_fails_clearly(tmp_path):
    assert aicall(tmp_path, "init").returncode == 0
    done = aicall(tmp_path, "campaign", "create", "--app", "nope", "--name", "x", "--json")
    assert done.returncode == 1
    assert "no application has API key nope" in done.stderr


def test_secret_key_from_the_environment_is_used_and_not_written(tmp_path):
    done = aicall(tmp_path, "init", env={"AICALL_SECRET_KEY": "from-env"})
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "var" / "secret.key").exists()


def test_a_process_with_another_secret_key_than_the_databases_refuses_to_start(tmp_path):
    """A worker or API with another key would fail every webhook signature and token check: it
    is refused before it does anything, in one line naming where its key came from."""
    assert aicall(tmp_path, "init").returncode == 0
    assert aicall(tmp_path, "app", "create", "--name", "shop").returncode == 0
    url = f"sqlite:///{tmp_path / 'var' / 'aicall.db'}"

    other = aicall(tmp_path, "app", "list", env={"AICALL_SECRET_KEY": "another-key"})
    fresh = aicall(
        tmp_path, "worker", env={"AICALL_DATABASE_URL": url, "AICALL_DATA_DIR": str(tmp_path / "b")}
    )

    assert other.returncode == 2 and other.stderr.count("\n") == 1, other.stderr
    assert "the secret key (AICALL_SECRET_KEY) is not the one this database's secrets" in other.stderr
    assert fresh.returncode == 2 and "secret.key) is not the one" in fresh.stderr, fresh.stderr
    assert aicall(tmp_path, "app", "list").returncode == 0  # the data directory's own key opens them


def test_the_example_files_placeholder_secret_key_is_refused(tmp_path):
    done = aicall(tmp_path, "init", env={"AICALL_SECRET_KEY": "CHANGE-ME-32-random-bytes"})
    assert done.returncode == 2 and "placeholder" in done.stderr, done.stderr


@pytest.mark.parametrize("dialect", ["sqlite"])
def test_database_url_setting_selects_the_database(tmp_path, dialect):
    url = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    done = aicall(tmp_path, "init", "--json", env={"AICALL_DATABASE_URL": url})
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "elsewhere.db").exists()
    assert json.loads(done.stdout)["database"] == dialect


@pytest.mark.parametrize(
    ("setting", "value", "says"),
    [
        ("AICALL_DIALER_MAX_CALLS", "abc", "valid integer"),
        ("AICALL_DIALER_MAX_CALLS", "-1", "greater than or equal to 0"),
        ("AICALL_PG_NOTIFY", "maybe", "valid boolean"),
    ],
)
def test_a_bad_setting_is_one_line_naming_the_variable_not_a_traceback(tmp_path, setting, value, says):
    done = aicall(tmp_path, "user", "list", env={setting: value})
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {setting}={value!r}: "), done.stderr
    assert says in done.stderr and "Traceback" not in done.stderr
