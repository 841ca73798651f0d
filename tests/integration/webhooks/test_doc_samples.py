"""The receivers in docs/webhooks.md ("Verifying the signature") run as pasted: each is started
as its own program and given a real delivery from the dispatcher, and a forged one (issue 12)."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.integration.support import free_port
from tests.integration.webhooks.helpers import configure, deliveries, dispatcher, emit

DOC = Path(__file__).resolve().parents[3] / "docs" / "webhooks.md"


def sample(language: str, after: str) -> str:
    """The first ```language block after the paragraph starting with `after`."""
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index("## Verifying the signature") :]
    section = section[section.index(after) :]
    match = re.search(rf"^```{language}\n(.*?)^```$", section, re.DOTALL | re.MULTILINE)
    assert match, f"no {language} block after {after!r} in {DOC}"
    return match[1]


def start(command: tuple[str, ...], program: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*command, str(program)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def wait_for_port(port: int, process: subprocess.Popen[str], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"the sample did not listen on {port}")


@pytest.mark.parametrize(
    ("command", "language", "after"),
    [((sys.executable,), "python", "**Python**"), (("node",), "js", "**Node.js**")],
    ids=["python", "node"],
)
async def test_the_documented_receiver_verifies_a_real_delivery_and_refuses_a_forged_one(
    db, tenant, tmp_path, command, language, after
):
    if shutil.which(command[0]) is None:
        pytest.skip(f"{command[0]} is not installed")
    program = tmp_path / f"receiver.{language}"
    program.write_text(sample(language, after), encoding="utf-8")
    port = free_port()
    url = f"http://127.0.0.1:{port}/aicall/events"
    secret = configure(db, tenant.application_id, url)
    env = {"PATH": "/usr/bin:/bin", "AICALL_WEBHOOK_SECRET": secret, "PORT": str(port)}
    process = start(command, program, env)
    try:
        wait_for_port(port, process)
        event_id = emit(db, tenant.application_id, "call.attempt.finished")
        async with dispatcher(db) as sender:
            assert await sender.run_once() == 1
        async with httpx.AsyncClient() as client:
            forged = await client.post(
            url,
            content=b'{"type": "call.attempt.finished", "data": {}}',
            headers={"webhook-id": "evt_forged", "webhook-timestamp": str(int(time.time())),
                     "webhook-signature": "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="},
            timeout=10,
            )  # fmt: skip
    finally:
        process.terminate()
        out, err = process.communicate(timeout=10)
    [attempt] = deliveries(db, event_id)
    assert (attempt.succeeded, attempt.status_code) == (True, 204), (attempt.error, err)
    assert forged.status_code == 400
    assert out.startswith("call.attempt.finished {"), (out, err)
    assert "Tạm biệt" in out or "+849" in out or '"attempt"' in out, out
