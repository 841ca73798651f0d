"""kill -9 of the API in the middle of a 10,000-contact import (issue 13): the import is all or
nothing, the database is intact, and the client's retry with the same Idempotency-Key adds
each contact exactly once (and a second retry gets the same answer)."""

from __future__ import annotations

import json
import signal
import sqlite3
import threading
from pathlib import Path

import requests

from tests.acceptance.platform import Demo, wait_until
from tests.acceptance.support import bearer, clean_env, free_port, running, wait_for_http

CONTACTS = 10_000
KEY = "import-2027-03-01-batch-7"


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc (clock ticks of 1/100 s)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100


def test_a_killed_import_is_all_or_nothing_and_its_retry_adds_each_contact_once(tmp_path):
    port = free_port()
    env = clean_env(AICALL_PORT=str(port), AICALL_RUN_ENGINE="false")
    demo = Demo.init(tmp_path, env)
    url = f"http://127.0.0.1:{port}/api/v1/public-api/campaign"
    headers = {**bearer(demo.keys["api_key"], demo.keys["api_secret"]), "Idempotency-Key": KEY}
    body = json.dumps(
        {
            "campaign_id": demo.keys["campaign_id"],
            "contacts": [
                {"phone_number": f"09{n:08d}", "ho_ten": f"Khách {n}", "so_tien": str(1000 * n)}
                for n in range(CONTACTS)
            ],
        }
    )
    answers: list[object] = []

    def send() -> None:
        try:
            answers.append(requests.post(url, data=body, headers=headers, timeout=60))
        except requests.ConnectionError as exc:
            answers.append(exc)

    with running(["serve"], tmp_path, env, "serve-killed.log") as server:
        wait_for_http(f"http://127.0.0.1:{port}/healthz")
        idle = cpu_seconds(server.pid)
        client = threading.Thread(target=send)
        client.start()
        # Killed once it is busy with the request (parsing, checking, inserting), before the
        # commit: the whole import takes seconds of CPU, this waits for a tenth of one.
        wait_until(lambda: cpu_seconds(server.pid) - idle >= 0.1, timeout=30, step=0.01, what="busy")
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=10)
        client.join(timeout=30)
    assert len(answers) == 1 and isinstance(answers[0], requests.ConnectionError)  # no answer came

    stored = count_contacts(demo)
    assert stored in (0, CONTACTS)  # all or nothing, never a part
    assert integrity(tmp_path) == "ok"

    with running(["serve"], tmp_path, env, "serve-retry.log"):
        wait_for_http(f"http://127.0.0.1:{port}/healthz")
        first = requests.post(url, data=body, headers=headers, timeout=120)
        again = requests.post(url, data=body, headers=headers, timeout=120)
    assert first.status_code == 200, first.text
    assert again.status_code == 200 and again.json() == first.json()  # the stored answer, replayed
    assert count_contacts(demo) == CONTACTS
    assert distinct_phones(demo) == CONTACTS
    assert integrity(tmp_path) == "ok"
    demo.db.dispose()


def count_contacts(demo: Demo) -> int:
    return len(demo.contacts())


def distinct_phones(demo: Demo) -> int:
    return len({c.phone for c in demo.contacts()})


def integrity(tmp_path: Path) -> str:
    with sqlite3.connect(tmp_path / "var" / "aicall.db") as connection:
        (result,) = connection.execute("PRAGMA integrity_check").fetchone()
    return str(result)
