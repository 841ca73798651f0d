"""`scripts/run-demo` as the README runs it: ready `export` lines that work as pasted, how to
start over, and webhooks to a receiver on this machine allowed (issue 12)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from tests.acceptance.support import clean_env, free_port, wait_for_http

ROOT = Path(__file__).resolve().parents[2]


def test_run_demo_prints_export_lines_that_work_and_how_to_start_over(tmp_path: Path) -> None:
    port = free_port()
    data_dir = tmp_path / "data"
    env = clean_env(AICALL_PORT=str(port), AICALL_DATA_DIR=str(data_dir), AICALL_TTS_ENGINE="none")
    log_path = tmp_path / "run-demo.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(ROOT / "scripts" / "run-demo")], cwd=ROOT, env=env, stdout=log, stderr=log
        )
        try:
            wait_for_http(f"http://127.0.0.1:{port}/healthz", timeout=120)
            output = log_path.read_text(encoding="utf-8")
            exports = [line.strip() for line in output.splitlines() if line.strip().startswith("export ")]
            assert len(exports) == 3, output
            read = (
                'curl -s -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/public-api/campaigns/$CAMPAIGN_ID"'
            )
            hook = json.dumps({"webhook_url": f"http://127.0.0.1:{port}/hook"})
            change = (
                'curl -s -X PUT -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" '
                f"-d '{hook}' \"$BASE/api/v1/public-api/webhooks\""
            )
            # The CLI from the user's shell, as the README says: a receiver on this machine is
            # allowed there too (the printed lines carry the demo's settings; it was refused).
            update = (
                f'aicall app update --app "$API_KEY" --webhook-url http://127.0.0.1:{port}/cli-hook --json'
            )
            script = "\n".join([*exports, read, "echo", change, "echo", "cd /", update])
            answers = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=30)
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
    campaign, webhook, updated = answers.stdout.splitlines()
    assert '"status":1' in campaign.replace(" ", "") and "Demo campaign" in campaign, (
        answers.stdout + answers.stderr
    )
    assert '"status":1' in webhook.replace(" ", ""), webhook  # a local receiver: allowed in the demo
    assert json.loads(updated)["webhook_url"] == f"http://127.0.0.1:{port}/cli-hook", answers.stderr
    start_over = re.search(r"^\s*rm -rf '([^']+)' && scripts/run-demo$", output, re.MULTILINE)
    assert start_over and Path(start_over[1]) == data_dir.resolve(), output
