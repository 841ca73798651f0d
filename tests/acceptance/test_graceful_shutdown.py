"""SIGINT/SIGTERM on `aicall serve` and `aicall worker` during live calls (issue 13): calls end
by themselves within the grace and are stored as they ended; calls longer than the grace are
hung up, recorded with the end reason `shutdown` and charged their connected time; a second
signal cuts the grace short. Simulated phones at real time with known call lengths."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from aicall.accounts import billing
from aicall.webhooks.testing import WebhookReceiver
from tests.acceptance.platform import Demo, wait_until, write_rules
from tests.acceptance.support import clean_env, free_port, running, wait_for_http

SHORT = "0912345671"  # answers at once, hangs up 3 s later: a call shorter than the grace
LONG = "0912345672"  # answers at once, stays 60 s (the demo script holds it ~26 s): longer
MEDIUM = "0912345673"  # hangs up after 8 s: longer than the 5 s the dialer used to wait
HOLD = [
    {"number": "+84912345671", "ring": 0.1, "keys": [], "hangup_after": 3},
    {"number": "+84912345672", "ring": 0.1, "keys": [], "hangup_after": 60},
    {"number": "+84912345673", "ring": 0.1, "keys": [], "hangup_after": 8},
]


def platform(tmp_path, grace: float, receiver: WebhookReceiver | None = None) -> Demo:
    env = clean_env(
        AICALL_SIM_TIME_SCALE="1",
        AICALL_SIM_RULES=str(write_rules(tmp_path / "phones.json", HOLD)),
        AICALL_TTS_ENGINE="none",
        AICALL_SHUTDOWN_GRACE=str(grace),
        AICALL_DIALER_TICK="0.2",
        AICALL_PORT=str(free_port()),
        AICALL_WEBHOOK_ALLOW_PRIVATE="1",
    )
    demo = Demo.init(tmp_path, env)
    if receiver is not None:
        demo.cli("app", "update", "--app", demo.keys["api_key"], "--webhook-url", receiver.url)
    return demo


@contextmanager
def calling(demo: Demo, command: str, phones: list[str]) -> Iterator[subprocess.Popen[bytes]]:
    """`aicall <command>` running, with `phones` connected."""
    with running([command], demo.root, demo.env, f"{command}.log") as proc:
        if command == "serve":
            wait_for_http(f"http://127.0.0.1:{demo.env['AICALL_PORT']}/healthz")
        demo.add_contacts(phones)
        # The phones answer 0.1 s after the dial: once the attempts exist, a second later the
        # calls are connected.
        wait_until(lambda: len(demo.attempts()) == len(phones), timeout=30, what="calls started")
        time.sleep(1.0)
        yield proc


def stopped(proc: subprocess.Popen[bytes], timeout: float) -> float:
    """Seconds the process took to exit (bounded by `timeout`)."""
    began = time.monotonic()
    proc.wait(timeout=timeout)
    return time.monotonic() - began


def test_sigint_lets_a_live_call_finish_stores_it_as_answered_and_sends_its_webhooks(tmp_path):
    with WebhookReceiver() as receiver:
        demo = platform(tmp_path, grace=30, receiver=receiver)
        balance = demo.account().balance
        with calling(demo, "serve", [MEDIUM]) as proc:
            proc.send_signal(signal.SIGINT)
            stopped(proc, timeout=40)
        [attempt] = demo.attempts()
        assert attempt.status == "finished"
        assert attempt.outcome == "answered"
        assert attempt.end_reason == "remote_hangup"  # the callee's own hang-up, not ours
        assert attempt.error is None
        [contact] = demo.contacts()
        assert contact.status == "done" and contact.attempts == 1  # not called again
        account = demo.account()
        assert account.reserved == 0
        assert balance - account.balance == attempt.cost > 0
        # Its webhooks left before the process did.
        types = sorted(r.body.split(b'"type":"')[1].split(b'"')[0].decode() for r in receiver.received)
        assert types == ["call.attempt.finished", "contact.finished"]
    # Started again: nothing of it is re-dialled or reconciled.
    with running(["worker"], demo.root, demo.env, "worker-after.log"):
        time.sleep(2.0)
    assert [a.id for a in demo.attempts()] == [attempt.id]
    assert demo.attempts()[0].outcome == "answered"
    demo.db.dispose()


@pytest.mark.parametrize("command", ["serve", "worker"])
def test_a_call_longer_than_the_grace_is_hung_up_as_shutdown_and_charged_its_connected_time(
    tmp_path, command
):
    demo = platform(tmp_path, grace=4)  # the short call (3 s) ends within it
    balance = demo.account().balance
    with calling(demo, command, [LONG, SHORT]) as proc:
        proc.send_signal(signal.SIGTERM)
        stopped(proc, timeout=30)
    by_phone = {a.contact_id: a for a in demo.attempts()}
    contacts = {c.phone: c for c in demo.contacts()}
    long_call = by_phone[contacts["+84912345672"].id]
    short_call = by_phone[contacts["+84912345671"].id]
    assert short_call.outcome == "answered" and short_call.end_reason == "remote_hangup"
    assert long_call.status == "finished"
    assert long_call.outcome == "answered"
    assert long_call.end_reason == "shutdown"
    assert long_call.error is None  # not the crash rule's "dialer stopped during the call"
    # Connected time only: far less than the call would have lasted, and charged as such.
    assert 0 < long_call.duration < 26
    account = demo.account()
    assert long_call.billable_seconds == billing.billable_seconds(
        long_call.duration, account.billing_increment
    )
    assert long_call.cost == billing.cost(long_call.billable_seconds, account.price_per_minute) > 0
    assert account.reserved == 0
    assert balance - account.balance == long_call.cost + short_call.cost
    assert all(c.attempts == 1 for c in contacts.values())
    demo.db.dispose()


@pytest.mark.parametrize("command", ["serve", "worker"])
def test_a_second_sigint_cuts_the_grace_short(tmp_path, command):
    demo = platform(tmp_path, grace=120)
    with calling(demo, command, [LONG]) as proc:
        proc.send_signal(signal.SIGINT)
        time.sleep(1.0)  # the grace has begun: the call is still live
        assert proc.poll() is None
        proc.send_signal(signal.SIGINT)
        stopped(proc, timeout=20)  # far less than the 120 s grace, or the call's 26 s
    [attempt] = demo.attempts()
    assert attempt.status == "finished"
    assert attempt.outcome == "answered" and attempt.end_reason == "shutdown"
    assert attempt.error is None
    assert demo.account().reserved == 0
    demo.db.dispose()


def test_serve_on_a_port_taken_dials_nobody_and_says_why(tmp_path):
    # uvicorn binds after the ASGI lifespan has started the engine: a restart onto a port
    # still held used to dial (and charge) due contacts for the whole grace before it gave up.
    demo = platform(tmp_path, grace=30)
    demo.add_contacts([SHORT, LONG])
    balance = demo.account().balance
    port = int(demo.env["AICALL_PORT"])
    with socket.create_server(("127.0.0.1", port)):  # another process holds the port
        proc = subprocess.run(
            [sys.executable, "-m", "aicall", "serve"],
            cwd=demo.root,
            env=demo.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert proc.returncode == 2, proc.stderr
    assert f"cannot listen on 127.0.0.1:{port}" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert demo.attempts() == []
    assert demo.account().balance == balance
    out_of_range = subprocess.run(
        [sys.executable, "-m", "aicall", "serve", "--port", "99999"],
        cwd=demo.root,
        env=demo.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out_of_range.returncode == 2 and "Traceback" not in out_of_range.stderr, out_of_range.stderr
    assert demo.attempts() == []
