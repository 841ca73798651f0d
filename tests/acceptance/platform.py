"""A demo platform in a temporary directory, driven as an operator would: `aicall init --demo`,
then contacts, phones and a webhook receiver set up for one fault or shutdown test."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import select

from aicall.accounts.models import Account
from aicall.calls.models import CallAttempt
from aicall.campaigns import service as campaign_service
from aicall.campaigns.models import Contact
from aicall.db.engine import Database

T = TypeVar("T")


def wait_until(predicate: Callable[[], T], timeout: float, step: float = 0.2, what: str = "condition") -> T:
    """`predicate()`'s first truthy value, polled every `step` seconds for up to `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"{what} not met within {timeout} s")


def write_rules(path: Path, rules: Iterable[dict[str, Any]]) -> Path:
    """A simulator rules file (JSON) of `rules`, each `{"number": ..., "hangup_after": ...}`."""
    path.write_text(json.dumps({"rules": list(rules)}))
    return path


@dataclass
class Demo:
    """The demo tenant of a data directory, and that directory's SQLite database."""

    root: Path
    env: dict[str, str]
    keys: dict[str, Any]
    db: Database

    @classmethod
    def init(cls, root: Path, env: dict[str, str]) -> Demo:
        done = subprocess.run(
            [sys.executable, "-m", "aicall", "init", "--demo", "--json"],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        data_dir = Path(env.get("AICALL_DATA_DIR") or root / "var")
        url = env.get("AICALL_DATABASE_URL") or f"sqlite:///{data_dir / 'aicall.db'}"
        return cls(root, env, json.loads(done.stdout), Database(url))

    def cli(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "aicall", *args],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def add_contacts(self, phones: Iterable[str]) -> None:
        status, body = campaign_service.add_contacts(
            db=self.db,
            application_id=self.keys["application_id"],
            payload={
                "campaign_id": self.keys["campaign_id"],
                "contacts": [{"phone_number": p, "ho_ten": "Lan", "so_tien": "1000"} for p in phones],
            },
            idempotency_key=None,
            max_contacts=100_000,
            region="VN",
        )
        assert status == 200, body

    def attempts(self) -> list[CallAttempt]:
        with self.db.reading() as session:
            return list(session.scalars(select(CallAttempt).order_by(CallAttempt.claimed_at)))

    def contacts(self) -> list[Contact]:
        with self.db.reading() as session:
            return list(
                session.scalars(select(Contact).where(Contact.campaign_id == self.keys["campaign_id"]))
            )

    def account(self) -> Account:
        with self.db.reading() as session:
            account = session.get(Account, self.keys["account_id"])
            assert account is not None
            return account
