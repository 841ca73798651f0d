"""`aicall voice set-asr | clear-asr | show`, run as a subprocess: the key goes in on standard
input, is sealed, and comes back only as its last 4 characters."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.acceptance.test_cli import aicall

KEY = "sk-from-stdin-9c1e"


def _with_stdin(workdir: Path, text: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AICALL_")}
    return subprocess.run(
        [sys.executable, "-m", "aicall", *args],
        cwd=workdir,
        env=env,
        input=text,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_set_asr_stores_an_accounts_recogniser_with_its_key_sealed_and_show_hides_it(tmp_path: Path) -> None:
    aicall(tmp_path, "init", "--demo", "--json")
    made = _with_stdin(
        tmp_path, KEY + "\n",
        "voice", "set-asr", "--account", "Demo account", "--engine", "openai",
        "--base-url", "https://asr.example.com/v1", "--api-key-stdin", "--timeout", "8", "--json",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert KEY not in made.stdout
    shown = json.loads(aicall(tmp_path, "voice", "show", "--account", "Demo account", "--json").stdout)
    assert (shown["asr_engine"], shown["asr_base_url"], shown["asr_timeout_seconds"]) == (
        "openai",
        "https://asr.example.com/v1",
        8.0,
    )
    assert (shown["asr_api_key_set"], shown["asr_api_key_last4"]) == (True, "9c1e")
    [database] = tmp_path.rglob("aicall.db")
    with sqlite3.connect(database) as conn:
        [(sealed,)] = conn.execute("SELECT asr_api_key_encrypted FROM account_speech_settings").fetchall()
    assert KEY not in sealed

    cleared = aicall(tmp_path, "voice", "clear-asr", "--account", "Demo account")
    assert cleared.stdout.strip() == "cleared"
    after = json.loads(aicall(tmp_path, "voice", "show", "--account", "Demo account", "--json").stdout)
    assert after["asr_engine"] is None and after["asr_platform_engine"] == "echo"
    assert after["asr_timeout_seconds"] is None and after["asr_platform_timeout_seconds"] == 10.0


def test_set_asr_refuses_a_bad_url_naming_the_field(tmp_path: Path) -> None:
    aicall(tmp_path, "init", "--demo", "--json")
    refused = aicall(
        tmp_path,
        "voice",
        "set-asr",
        "--account",
        "Demo account",
        "--engine",
        "openai",
        "--base-url",
        "asr.local",
    )
    assert refused.returncode == 1 and "base_url" in refused.stderr
    unknown = aicall(tmp_path, "voice", "set-asr", "--account", "Demo account", "--engine", "google")
    assert unknown.returncode == 1 and "engine" in unknown.stderr
