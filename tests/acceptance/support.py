"""Running the real CLI as a subprocess: the platform as an operator starts it."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import jwt
import requests


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AICALL_")}
    env.update(extra)
    return env


@contextmanager
def running(
    args: list[str], cwd: Path, env: dict[str, str], log_name: str
) -> Iterator[subprocess.Popen[bytes]]:
    log = open(cwd / log_name, "wb")  # noqa: SIM115 - closed below, after the process
    process = subprocess.Popen(
        [sys.executable, "-m", "aicall", *args], cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        log.close()


def wait_for_http(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {timeout}s")


def field(log: str, name: str) -> str:
    match = re.search(rf"^\s*{name}: (\S+)$", log, re.MULTILINE)
    assert match, f"{name} not printed:\n{log}"
    return match.group(1)


def bearer(api_key: str, api_secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {jwt.encode({'apiKey': api_key}, api_secret)}"}
