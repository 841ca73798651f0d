"""`aicall user create | list` and the demo login `init --demo` prints, run as a subprocess."""

from __future__ import annotations

import json
from pathlib import Path

from tests.acceptance.test_cli import aicall


def test_init_demo_prints_the_dashboard_url_and_a_login_that_stays_the_same(tmp_path: Path) -> None:
    first = json.loads(aicall(tmp_path, "init", "--demo", "--json").stdout)
    second = json.loads(aicall(tmp_path, "init", "--demo", "--json").stdout)
    assert first["dashboard_url"] == "http://127.0.0.1:8000/"
    assert first["login_email"] == "demo@aicall.local"
    assert len(first["login_password"]) >= 12
    assert (first["login_email"], first["login_password"]) == (
        second["login_email"],
        second["login_password"],
    )


def test_user_create_generates_a_password_and_user_list_shows_the_user(tmp_path: Path) -> None:
    demo = json.loads(aicall(tmp_path, "init", "--demo", "--json").stdout)
    made = aicall(
        tmp_path, "user", "create", "--email", "Lan@Example.VN", "--account", "Demo account", "--json"
    )
    assert made.returncode == 0, made.stderr
    user = json.loads(made.stdout)
    assert user["email"] == "lan@example.vn"
    assert user["account_id"] == demo["account_id"]
    assert len(user["password"]) >= 12
    listed = json.loads(aicall(tmp_path, "user", "list", "--json").stdout)
    assert {row["email"] for row in listed} == {"demo@aicall.local", "lan@example.vn"}
    admin = next(row for row in listed if row["email"] == "demo@aicall.local")
    assert admin["is_admin"] is True


def test_user_create_refuses_a_taken_email_a_short_password_and_an_unknown_account(tmp_path: Path) -> None:
    aicall(tmp_path, "init", "--demo", "--json")
    taken = aicall(tmp_path, "user", "create", "--email", "demo@aicall.local", "--account", "Demo account")
    assert taken.returncode == 1
    assert "already a user" in taken.stderr
    short = aicall(
        tmp_path, "user", "create", "--email", "x@y.vn", "--account", "Demo account", "--password", "abc"
    )
    assert short.returncode == 1
    assert "at least 8 characters" in short.stderr
    unknown = aicall(tmp_path, "user", "create", "--email", "x@y.vn", "--account", "Nobody")
    assert unknown.returncode != 0
    assert "no account" in unknown.stderr
