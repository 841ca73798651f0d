"""Where the data lives is explicit: commands other than init and serve never create a
database, say where they looked, and a database they cannot use is one line and exit code 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.acceptance.support import clean_env
from tests.integration.support import POSTGRES_ADMIN_URL


def aicall(workdir: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aicall", *args],
        cwd=workdir,
        env=clean_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def one_line(done: subprocess.CompletedProcess[str]) -> str:
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


@pytest.mark.parametrize(
    "args", [["app", "list"], ["campaign", "create", "--app", "k", "--name", "x"], ["worker"]]
)
def test_a_command_in_an_empty_directory_creates_nothing_and_says_where_it_looked(tmp_path, args):
    done = aicall(tmp_path, *args)
    assert done.returncode == 2
    line = one_line(done)
    assert str(tmp_path / "var" / "aicall.db") in line
    assert "aicall init" in line and "--data-dir" in line
    assert list(tmp_path.iterdir()) == []


def test_data_dir_option_and_environment_name_the_same_place_from_anywhere(tmp_path):
    home, elsewhere = tmp_path / "platform", tmp_path / "elsewhere"
    home.mkdir()
    elsewhere.mkdir()
    created = aicall(elsewhere, "--data-dir", str(home / "data"), "init", "--demo", "--json")
    assert created.returncode == 0, created.stderr
    demo = json.loads(created.stdout)
    assert demo["data_dir"] == str(home / "data")
    assert (home / "data" / "aicall.db").exists() and not (elsewhere / "var").exists()
    by_option = aicall(elsewhere, "--data-dir", str(home / "data"), "app", "list", "--json")
    by_environment = aicall(elsewhere, "app", "list", "--json", AICALL_DATA_DIR=str(home / "data"))
    for done in (by_option, by_environment):
        assert done.returncode == 0, done.stderr
        assert [app["api_key"] for app in json.loads(done.stdout)] == [demo["api_key"]]


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("postgresql://postgres@127.0.0.1:1/aicall", "127.0.0.1:1, database aicall, user postgres: "),
        ("not a url", "is not a database URL"),
        ("mysql://u@h/d", "names mysql"),
    ],
)  # fmt: skip
def test_a_database_that_cannot_be_used_is_one_line_and_exit_code_2(tmp_path, url, says):
    done = aicall(tmp_path, "campaign", "list", AICALL_DATABASE_URL=url)
    assert done.returncode == 2
    assert says in one_line(done)
    if url.startswith("postgresql"):
        assert "refused the connection" in one_line(done)
    assert done.stdout == ""


def test_a_password_is_never_printed(tmp_path):
    done = aicall(tmp_path, "app", "list", AICALL_DATABASE_URL="postgresql://u:s3cret@127.0.0.1:1/db")
    assert done.returncode == 2 and "s3cret" not in done.stderr


@pytest.mark.postgres
def test_a_missing_postgresql_database_is_named(tmp_path):
    missing = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/aicall_no_such_database"
    done = aicall(tmp_path, "app", "list", AICALL_DATABASE_URL=missing)
    if "refused" in done.stderr:
        pytest.skip("no PostgreSQL server to ask")
    assert done.returncode == 2
    assert 'database "aicall_no_such_database" does not exist' in one_line(done)
