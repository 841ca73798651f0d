"""deploy/: the systemd units and the Procfile run commands the CLI has, stop within what a
graceful shutdown needs, and (where systemd-analyze is installed) are valid units."""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from aicall.config import Settings
from aicall.dialer.scheduler import HANG_UP_WAIT
from aicall.engine import WEBHOOK_DRAIN

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))
COMMANDS = {"init", "serve", "worker"}


def unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys keep their case
    parser.read(path)
    return parser


def test_there_are_units_for_one_process_and_for_api_and_workers():
    assert {p.name for p in UNITS} == {"aicall.service", "aicall-api@.service", "aicall-worker@.service"}


@pytest.mark.parametrize("path", UNITS, ids=lambda p: p.name)
def test_a_unit_runs_aicall_commands_and_outlasts_a_graceful_stop(path):
    service = unit(path)["Service"]
    commands = re.findall(r"bin/aicall (\w+)", service["ExecStart"] + service.get("ExecStartPre", ""))
    assert commands and set(commands) <= COMMANDS
    assert service["KillSignal"] == "SIGTERM"
    longest_stop = Settings.model_fields["shutdown_grace"].default + HANG_UP_WAIT + WEBHOOK_DRAIN
    assert float(service["TimeoutStopSec"]) > longest_stop


def test_the_procfile_runs_the_api_and_workers():
    lines = dict(
        line.split(":", 1)
        for line in (DEPLOY / "Procfile").read_text().splitlines()
        if line and line[0] != "#"
    )
    assert set(lines) == {"api", "worker"}
    assert "aicall serve" in lines["api"] and "AICALL_RUN_ENGINE=false" in lines["api"]
    assert lines["worker"].strip() == "aicall worker"


def test_the_units_are_valid_for_systemd(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    (tmp_path / "aicall.env").write_text("")
    names = []
    for path in UNITS:
        text = path.read_text().replace("/opt/aicall/.venv/bin/aicall", "/bin/true")
        text = text.replace("/etc/aicall/aicall.env", str(tmp_path / "aicall.env"))
        name = path.name.replace("@.", "@1.")  # an instance of a template
        (tmp_path / name).write_text(text)
        names.append(str(tmp_path / name))
    done = subprocess.run([analyze, "verify", *names], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr
