"""What the engine benchmarks share: throw-away databases, a running campaign with contacts
inserted in bulk, a dialer on the simulator with a one-menu script that counts the results it
stores, and the bare writes the engine does per call, as plain statements (the baseline).

Benchmarks never assert on timings: they print medians of several runs beside a baseline
measured in the same run, because the machines are noisy and only the ratios carry over.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from common import (  # shared with the import benches (bench/ is on sys.path)
    machine_note,
    median,
    print_table,
    temp_database,
)
from sqlalchemy import bindparam, insert, select, text, update

from aicall.accounts import ledger
from aicall.accounts import service as account_service
from aicall.accounts.models import LedgerEntry
from aicall.accounts.secrets_box import SecretBox
from aicall.calls.models import AttemptStatus, CallAttempt
from aicall.campaigns import service as campaign_service
from aicall.campaigns.models import DUE_STATUSES, Contact, ContactStatus
from aicall.clock import utc_now
from aicall.config import Settings
from aicall.db.engine import Database
from aicall.dialer.backends import BackendRouter
from aicall.dialer.jobs import CallResult
from aicall.dialer.scheduler import Dialer
from aicall.engine import PrompterFactory
from aicall.hotlines import service as hotline_service
from aicall.ids import object_id
from aicall.interpreter.prompter import TextPrompter
from aicall.interpreter.script import Action, ActionType, FieldSpec, KeyResponse
from aicall.interpreter.testing import script_of
from aicall.observability import logging as logs
from aicall.telephony.sim import SimBackend

__all__ = [
    "SCRIPT",
    "BenchCampaign",
    "CountingDialer",
    "bare_batch",
    "insert_contacts",
    "machine_note",
    "make_dialer",
    "median",
    "new_campaign",
    "print_table",
    "rss_kib",
    "temp_database",
    "vacuum",
]

SECRET_KEY = "bench-secret-key-not-for-production"
BALANCE = 10**12  # never the limit: each call reserves its worst case (300 s) while in flight

# One menu, as in tests/integration/dialer/support.py: a phone ending in 1 answers, presses 1
# and hears the thanks message, so every call is answered, charged and leaves its contact done.
MENU = Action(
    id="menu",
    type=ActionType.INTERACTIVE_MENU,
    label="start",
    content_text="Xin chào {{ho_ten}}, bấm 1 để xác nhận, bấm 2 để gặp nhân viên.",
    responses=(KeyResponse("1", "thanks"), KeyResponse("2", "bye")),
    timeout=3,
    max_retries=1,
)
THANKS = Action(id="thanks", type=ActionType.PLAY_MESSAGE, content_text="Cảm ơn {{ho_ten}}.")
BYE = Action(id="bye", type=ActionType.END_CALL, content_text="Tạm biệt.")
# Its field declared, as a stored scenario has it: the engine's speech prompter reads tags by field.
SCRIPT = replace(
    script_of(MENU, THANKS, BYE, scenario_id="sc-bench"), fields=(FieldSpec("Họ tên", "ho_ten"),)
)


# --- databases ---------------------------------------------------------------------------------


# --- a campaign and its contacts ---------------------------------------------------------------


@dataclass(frozen=True)
class BenchCampaign:
    account_id: str
    application_id: str
    campaign_id: str


def new_campaign(db: Database, *, running: bool = True, **settings: Any) -> BenchCampaign:
    """An account with a large balance, its application and a campaign on the system pool
    (4 lines x 250 calls) with the benchmark's scenario; `running` starts it."""
    with db.transaction() as session:
        hotline_service.ensure_system_pool(session=session)
        account = account_service.create_account(session=session, name="Bench")
        new = account_service.create_application(
            session=session, box=SecretBox(SECRET_KEY), account_id=account.id, name="Bench"
        )
        campaign = campaign_service.create_campaign(
            session=session,
            application_id=new.application.id,
            name="Bench campaign",
            scenario_id=SCRIPT.scenario_id,
            settings=dict(settings),
        )
        if running:
            campaign.status = "running"
            campaign.started_at = utc_now()
        ledger.topup(session=session, account_id=account.id, amount=BALANCE)
        return BenchCampaign(account.id, new.application.id, campaign.id)


def phone(n: int, last_digit: str = "1") -> str:
    """Distinct numbers ending in `last_digit`; on the simulator 1 answers and presses 1 at
    once, 7 answers and presses nothing (it hears the menu twice, then we hang up)."""
    return f"+8498{n:06d}{last_digit}"


def insert_contacts(
    db: Database,
    campaign: BenchCampaign,
    count: int,
    *,
    first: int = 0,
    last_digit: str = "1",
    name: str | None = None,
    chunk: int = 5000,
) -> float:
    """Contacts due now, inserted as the importer does (`insert(Contact)` of whole rows);
    return the seconds it took. Each is `Khách <n>`, or all are `name` when given."""
    began = time.perf_counter()
    now = utc_now()
    for start in range(first, first + count, chunk):
        rows = [
            {
                "id": str(uuid.uuid4()),
                "campaign_id": campaign.campaign_id,
                "application_id": campaign.application_id,
                "phone": phone(n, last_digit),
                "dedupe_key": phone(n, last_digit),
                "tags": {"ho_ten": name or f"Khách {n}"},
                "status": ContactStatus.PENDING.value,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
                "updated_at": now,
            }
            for n in range(start, min(start + chunk, first + count))
        ]
        with db.transaction() as session:
            session.execute(insert(Contact), rows)
    vacuum(db)
    return time.perf_counter() - began


def vacuum(db: Database) -> None:
    """What autovacuum does for a real table: dead row versions reclaimed, planner statistics
    fresh. The PostgreSQL the benchmarks were written on runs with `autovacuum = off`; without
    this between timed windows, every table the engine updates bloats and both the engine and
    the bare writes slow down three- to four-fold within a minute."""
    if db.dialect == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with db.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()


# --- the dialer --------------------------------------------------------------------------------


class _Unlimited:
    """A token bucket that never runs dry."""

    def reserve(self, want: int) -> int:
        return want

    def take(self, used: int) -> None:
        pass


class CountingDialer(Dialer):
    """A `Dialer` that counts the results it has stored (committed), for rates over a window.

    `paced=False` lifts the campaign's calls-per-second limit (at most 200 by the settings'
    validation), so what is measured is the engine, not the pacing it is told to keep.
    """

    stored = 0
    paced = True

    def _store_sync(self, batch: list[CallResult]) -> None:
        super()._store_sync(batch)
        self.stored += len(batch)  # after the commit: only results that are in the database

    def _bucket(self, campaign_id: str, rate: float, session: Any) -> Any:
        return super()._bucket(campaign_id, rate, session) if self.paced else _Unlimited()


def make_dialer(
    db: Database,
    data_dir: Path,
    *,
    time_scale: float = 0.0,
    paced: bool = True,
    worker_id: str | None = None,
    spoken: bool = False,
) -> CountingDialer:
    """A dialer on the simulator with the one-menu script, text prompts and no webhooks.
    `spoken`: the engine's own prompts instead (`aicall.engine.PrompterFactory`: espeak-ng, the
    audio cache under `data_dir`), which a campaign that records makes synthesise."""
    settings = Settings(data_dir=data_dir, database_url=db.url, secret_key=SECRET_KEY, run_engine=False)
    dialer = CountingDialer(
        db=db,
        box=SecretBox(SECRET_KEY),
        settings=settings,
        router=BackendRouter(
            settings, sim=SimBackend(time_scale=time_scale, recording_dir=data_dir / "recordings")
        ),
        load_script=lambda _session, _scenario_id: SCRIPT,
        load_call_config=lambda _session, _scenario_id: {},
        prompter_for=PrompterFactory(settings) if spoken else lambda _script, _audio: TextPrompter(),
        worker_id=worker_id,
        heartbeat_every=settings.dialer_heartbeat,
        stale_after=settings.dialer_stale_after,
    )
    dialer.paced = paced
    _log_as_the_worker_does(data_dir)
    return dialer


def _log_as_the_worker_does(data_dir: Path) -> None:
    """Log as a deployed `aicall worker` does (aicall.cli's pipeline, level info, the phone
    scrubber, JSON lines as deploy/aicall.env.example sets), into a file as a service manager's
    journal would take it: the `call finished` line of every call costs here what it costs in
    production, not structlog's unconfigured default printing to the terminal."""
    logs.configure(fmt="json", level="info", stream=(data_dir / "worker.log").open("a", encoding="utf-8"))


def rss_kib() -> int:
    """This process's resident memory (VmRSS of /proc/self/status), in KiB."""
    for row in Path("/proc/self/status").read_text().splitlines():
        if row.startswith("VmRSS:"):
            return int(row.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


# --- the bare writes -------------------------------------------------------------------------------

contacts_t = Contact.__table__
attempts_t = CallAttempt.__table__
entries_t = LedgerEntry.__table__
# What an answered one-menu call leaves in `call_attempts.path`: two steps, as the tracer writes them.
TRACE = [
    {
        "action_id": "menu",
        "label": "start",
        "type": "INTERACTIVE_MENU",
        "text": "Xin chào Khách 1, bấm 1 để xác nhận, bấm 2 để gặp nhân viên.",
        "keys": "1",
        "result": "matched",
        "at": "2026-01-01T00:00:03+00:00",
        "repeat": 0,
        "interrupted": True,
    },
    {
        "action_id": "thanks",
        "label": "",
        "type": "PLAY_MESSAGE",
        "text": "Cảm ơn Khách 1.",
        "keys": "",
        "result": "played",
        "at": "2026-01-01T00:00:04+00:00",
        "repeat": 0,
        "interrupted": False,
    },
]


def bare_batch(db: Database, campaign: BenchCampaign, worker_id: str, *, batch: int) -> int:
    """One batch of the engine's writes as plain statements, in the dialer's two transactions
    (claim, then results); return how many calls it stood for."""
    now = utc_now()
    due = (
        select(contacts_t.c.id, contacts_t.c.attempts)
        .where(
            contacts_t.c.campaign_id == campaign.campaign_id,
            contacts_t.c.status.in_(DUE_STATUSES),
            contacts_t.c.next_attempt_at <= now,
        )
        .order_by(contacts_t.c.next_attempt_at)
        .limit(batch)
    )
    if db.dialect == "postgresql":
        due = due.with_for_update(skip_locked=True)
    with db.engine.begin() as conn:
        rows = conn.execute(due).all()
        if not rows:
            return 0
        claimed = [(object_id(), contact_id, attempts + 1) for contact_id, attempts in rows]
        conn.execute(
            update(contacts_t)
            .where(contacts_t.c.id == bindparam("b_id"))
            .values(
                status=ContactStatus.CALLING.value,
                attempts=bindparam("b_attempts"),
                claimed_by=worker_id,
                claimed_at=now,
                updated_at=now,
            ),
            [{"b_id": contact_id, "b_attempts": number} for _, contact_id, number in claimed],
        )
        conn.execute(
            insert(attempts_t),
            [
                {
                    "id": attempt_id,
                    "contact_id": contact_id,
                    "campaign_id": campaign.campaign_id,
                    "account_id": campaign.account_id,
                    "number": number,
                    "status": AttemptStatus.IN_PROGRESS.value,
                    "worker_id": worker_id,
                    "lease_until": now + timedelta(seconds=450),
                    "hotline": "+842873000001",
                    "trunk_id": None,
                    "reserved": 5000,
                    "claimed_at": now,
                    "scenario_version": 1,
                }
                for attempt_id, contact_id, number in claimed
            ],
        )
    ended = utc_now()
    with db.engine.begin() as conn:
        conn.execute(
            update(attempts_t)
            .where(attempts_t.c.id == bindparam("b_id"))
            .values(
                status=AttemptStatus.FINISHED.value,
                outcome="answered",
                sip_code=200,
                sip_reason="OK",
                started_at=now,
                answered_at=now,
                ended_at=ended,
                duration=4.2,
                billable_seconds=6,
                cost=100,
                keys_pressed="1",
                path=TRACE,
                end_reason="completed",
            ),
            [{"b_id": attempt_id} for attempt_id, _, _ in claimed],
        )
        conn.execute(
            update(contacts_t)
            .where(contacts_t.c.id == bindparam("b_id"))
            .values(
                status=ContactStatus.DONE.value,
                next_attempt_at=None,
                last_outcome="answered",
                claimed_by=None,
                updated_at=ended,
            ),
            [{"b_id": contact_id} for _, contact_id, _ in claimed],
        )
        conn.execute(
            insert(entries_t),
            [
                {
                    "id": object_id(),
                    "account_id": campaign.account_id,
                    "kind": "charge",
                    "amount": -100,
                    "balance_after": 0,
                    "attempt_id": attempt_id,
                    "created_at": ended,
                }
                for attempt_id, _, _ in claimed
            ],
        )
    return len(rows)
