"""Issue 15 from a terminal, each step the real CLI as a subprocess: a pool's P-Asserted-Identity
and Privacy (set at creation, changed, refused when malformed) and a campaign's answering-machine
detection (`--amd`, `--voicemail-message`, refused when the message is no action of the scenario)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.acceptance.support import clean_env

SCENARIO = {
    "name": "Nhắc lịch",
    "actions": [
        {"label": "bye", "type": "END_CALL", "contentText": "Cảm ơn."},
        {"label": "voicemail", "type": "PLAY_MESSAGE", "contentText": "Chúng tôi sẽ gọi lại sau."},
        {
            "label": "start",
            "contentText": "Xin chào.",
            "responses": [{"keyPadMatch": "1", "nextActionId": "bye"}],
        },
    ],
}


def run(workdir: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aicall", *args],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def ok(workdir: Path, env: dict[str, str], *args: str) -> Any:
    done = run(workdir, env, *args, "--json")
    assert done.returncode == 0, f"aicall {' '.join(args)}: {done.stdout}\n{done.stderr}"
    return json.loads(done.stdout)


def test_pool_identity_and_campaign_detection_from_the_command_line(tmp_path: Path) -> None:
    env = clean_env(AICALL_TTS_ENGINE="none")
    ok(tmp_path, env, "init")
    key = ok(tmp_path, env, "app", "create", "--name", "Phòng khám")["api_key"]

    pool = ok(
        tmp_path, env, "pool", "create", "--key", "TRUSTED", "--numbers", "+842873001234",
        "--asserted-identity", "tel:+842873001234", "--privacy", "id",
    )  # fmt: skip
    assert (pool["asserted_identity"], pool["privacy"]) == ("tel:+842873001234", "id")
    changed = ok(
        tmp_path, env, "pool", "identity", "--key", "TRUSTED", "--asserted-identity", "", "--privacy", "none"
    )
    assert (changed["asserted_identity"], changed["privacy"]) == (None, "none")
    # An option left out keeps the pool's value: a new number does not drop the Privacy.
    renumbered = ok(
        tmp_path, env, "pool", "identity", "--key", "TRUSTED", "--asserted-identity", "tel:+842873009999"
    )
    assert (renumbered["asserted_identity"], renumbered["privacy"]) == ("tel:+842873009999", "none")
    nothing = run(tmp_path, env, "pool", "identity", "--key", "TRUSTED")
    assert nothing.returncode == 2 and "--asserted-identity, --privacy or both" in nothing.stderr
    elsewhere = run(tmp_path, env, "pool", "identity", "--key", "NO-SUCH", "--privacy", "id")
    assert elsewhere.returncode == 1 and "--app API_KEY" in elsewhere.stderr, elsewhere.stderr
    refused = run(tmp_path, env, "pool", "identity", "--key", "TRUSTED", "--asserted-identity", "sip:a@b c")
    assert refused.returncode == 1 and "asserted_identity" in refused.stderr, refused.stderr

    (tmp_path / "scenario.json").write_text(json.dumps(SCENARIO, ensure_ascii=False), encoding="utf-8")
    scenario_id = ok(tmp_path, env, "scenario", "create", "--app", key, "--file", "scenario.json")[
        "scenario_id"
    ]
    refused = run(
        tmp_path, env, "campaign", "create", "--app", key, "--name", "Thư thoại",
        "--scenario-id", scenario_id, "--amd", "sync", "--voicemail-message", "no-such-action",
    )  # fmt: skip
    assert refused.returncode == 1 and "the scenario has no action 'no-such-action'" in refused.stderr, (
        refused.stderr
    )
    campaign = ok(
        tmp_path, env, "campaign", "create", "--app", key, "--name", "Thư thoại",
        "--scenario-id", scenario_id, "--amd", "async",
    )  # fmt: skip
    settings = campaign["settings"]
    assert (settings["amd"], settings["amd_mode"], settings["voicemail_action"]) == (True, "async", "hangup")
