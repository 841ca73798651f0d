"""Schemathesis against a live aicall server, through its CLI (as CI and customers run it).

Used by test_schemathesis.py (a few examples per operation, in CI) and by
bench/schemathesis_long.py (many). The settings every run shares are in schemathesis.toml.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["CONFIG", "FuzzRun", "run"]

CONFIG = Path(__file__).with_name("schemathesis.toml")
_CASES = re.compile(r"(\d+) generated, (?:(\d+) found (\d+) unique failures?, )?(?:(\d+) skipped)?")
_OPERATIONS = re.compile(r"Tested: (\d+)")


@dataclass(frozen=True)
class FuzzRun:
    returncode: int
    output: str
    seconds: float

    @property
    def operations(self) -> int:
        found = _OPERATIONS.search(self.output)
        return int(found[1]) if found else 0

    @property
    def cases(self) -> int:
        found = _CASES.search(self.output)
        return int(found[1]) if found else 0

    @property
    def failures(self) -> int:
        found = _CASES.search(self.output)
        return int(found[3]) if found and found[3] else 0

    def summary(self) -> str:
        """The part of the output worth reading: the failures, the warnings and the totals."""
        lines = self.output.splitlines()
        for index, line in enumerate(lines):
            if "FAILURES" in line or "SUMMARY" in line:
                return "\n".join(lines[index:])
        return "\n".join(lines[-60:])


def run(
    url: str,
    token: str,
    *,
    max_examples: int,
    seed: int | None,
    report_dir: Path,
    extra: Sequence[str] = (),
    timeout: float = 1800,
) -> FuzzRun:
    """Every phase (examples, coverage, fuzzing, stateful) and every check, on every operation
    of `url`'s /openapi.json, authenticated as the application of `token`."""
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "--no-color",
        "--config-file",
        str(CONFIG),
        "run",
        f"{url}/openapi.json",
        "--checks",
        "all",
        "--workers",
        "1",
        "--max-examples",
        str(max_examples),
        "--header",
        f"Authorization: Bearer {token}",
        "--report",
        "junit",
        "--report-dir",
        str(report_dir),
        "--output-truncate",
        "false",
        *(["--seed", str(seed)] if seed is not None else []),
        *extra,
    ]
    started = time.monotonic()
    # In the report directory: Schemathesis keeps a cache (.schemathesis/) where it runs.
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=timeout, check=False, cwd=report_dir
    )
    return FuzzRun(done.returncode, done.stdout + done.stderr, time.monotonic() - started)
