"""`aicall dnc add|remove|import|list`, run as operators run it: a subprocess on a fresh data dir."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def aicall(workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AICALL_")}
    env["AICALL_DATA_DIR"] = str(workdir)
    return subprocess.run(
        [sys.executable, "-m", "aicall", *args],
        check=False,
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_an_operator_loads_lists_and_edits_an_accounts_do_not_call_list(tmp_path):
    assert aicall(tmp_path, "init").returncode == 0
    created = aicall(tmp_path, "app", "create", "--name", "Shop", "--json")
    assert created.returncode == 0, created.stderr
    key = json.loads(created.stdout)["api_key"]

    bad = tmp_path / "bad.csv"
    bad.write_text("phone\n0987654321\n0900\n0912345678\nhello\n")
    refused = aicall(tmp_path, "dnc", "import", str(bad), "--app", key)
    assert refused.returncode == 1
    assert "2 invalid numbers, nothing was listed: line 3" in refused.stderr and "line 5" in refused.stderr

    register = tmp_path / "register.txt"
    register.write_text("".join(f"098{n:07d}\n" for n in range(1000)))
    loaded = aicall(tmp_path, "dnc", "import", str(register), "--app", key, "--source", "national_register")
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.startswith("listed 1000 new, 0 already listed")

    assert aicall(tmp_path, "dnc", "add", "0912 345 678", "--app", key, "--reason", "asked").returncode == 0
    assert aicall(tmp_path, "dnc", "remove", "0980000000", "--app", key).returncode == 0
    shown = aicall(tmp_path, "dnc", "list", "--app", key, "--search", "0912", "--json")
    assert json.loads(shown.stdout) == {
        "entries": [
            {
                "phone_number": "+84912345678",
                "source": "api",
                "reason": "asked",
                "created_at": json.loads(shown.stdout)["entries"][0]["created_at"],
            }
        ],
        "total_count": 1,
    }
    everything = json.loads(aicall(tmp_path, "dnc", "list", "--app", key, "--json", "--limit", "1").stdout)
    assert everything["total_count"] == 1000  # 1000 loaded, one added, one removed
    missing = aicall(tmp_path, "dnc", "remove", "0980000000", "--app", key)
    assert missing.returncode == 1 and "+84980000000 is not on the list" in missing.stderr
