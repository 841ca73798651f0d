"""`aicall voice set-credentials | remove-credentials`, run as a subprocess."""

from __future__ import annotations

import json
from pathlib import Path

from tests.acceptance.test_cli import aicall


def test_voice_set_credentials_stores_an_accounts_vbee_credentials_without_echoing_the_token(
    tmp_path: Path,
) -> None:
    aicall(tmp_path, "init", "--demo", "--json")
    made = aicall(
        tmp_path,
        "voice", "set-credentials", "--account", "Demo account", "--engine", "vbee",
        "--app-id", "app-1", "--token", "tok-secret", "--json",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    shown = json.loads(made.stdout)
    assert (shown["engine"], shown["app_id"]) == ("vbee", "app-1")
    assert "tok-secret" not in made.stdout

    refused = aicall(
        tmp_path, "voice", "set-credentials", "--account", "Demo account", "--engine", "vbee", "--token", "t"
    )
    assert refused.returncode == 1 and "app_id" in refused.stderr

    removed = aicall(tmp_path, "voice", "remove-credentials", "--account", "Demo account", "--engine", "vbee")
    assert removed.stdout.strip() == "removed"
