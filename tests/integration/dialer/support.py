"""A dialer on a real database and the simulator at time scale 0, with a two-key menu script."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy import select

from aicall.accounts import ledger
from aicall.accounts.models import Account
from aicall.accounts.secrets_box import SecretBox
from aicall.calls.models import CallAttempt
from aicall.campaigns.models import Campaign, Contact
from aicall.campaigns.settings import RETRYABLE
from aicall.config import Settings
from aicall.db.engine import Database
from aicall.dialer.backends import BackendRouter
from aicall.dialer.scheduler import Dialer
from aicall.engine import PrompterFactory
from aicall.interpreter.prompter import TextPrompter
from aicall.interpreter.script import Action, ActionType, FieldSpec, KeyResponse
from aicall.interpreter.testing import script_of
from aicall.telephony.sim import SimBackend
from tests.integration.support import SECRET_KEY, Tenant

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
# With its field declared, as a stored scenario has it: the speech prompter reads tags by their field.
SCRIPT = replace(script_of(MENU, THANKS, BYE, scenario_id="sc-test"), fields=(FieldSpec("Họ tên", "ho_ten"),))


# Every retryable outcome final at its first attempt. (`retry={}` changes nothing: a campaign's
# retry is merged by outcome into the scenario's, campaigns.settings.effective.)
NO_RETRY = {outcome.value: {"max_attempts": 0} for outcome in RETRYABLE}


def make_dialer(
    db: Database,
    tmp_path: Path,
    *,
    time_scale: float = 0.0,
    worker_id: str | None = None,
    emit: Any = None,
    spoken: bool = False,
) -> Dialer:
    """`spoken`: prompts rendered by the engine's own `PrompterFactory` (espeak-ng, audio cache
    under `tmp_path`) instead of text-only ones."""
    settings = Settings(data_dir=tmp_path, database_url=db.url, secret_key=SECRET_KEY, run_engine=False)
    return Dialer(
        db=db,
        box=SecretBox(SECRET_KEY),
        settings=settings,
        router=BackendRouter(
            settings, sim=SimBackend(time_scale=time_scale, recording_dir=tmp_path / "recordings")
        ),
        load_script=lambda _session, _scenario_id: SCRIPT,
        load_call_config=lambda _session, _scenario_id: {},
        prompter_for=PrompterFactory(settings) if spoken else lambda _script, _audio: TextPrompter(),
        emit=emit,
        worker_id=worker_id,
    )


def prepare_campaign(db: Database, tenant: Tenant, *, balance: int = 10_000_000, **settings: Any) -> None:
    """Give the tenant's campaign the test scenario, settings and a balance, and start it."""
    from aicall.hotlines import service as hotline_service

    with db.transaction() as session:
        hotline_service.ensure_system_pool(session=session)
        campaign = session.get(Campaign, tenant.campaign_id)
        assert campaign is not None
        campaign.scenario_id = "sc-test"
        campaign.settings = {"max_concurrent": 50, "calls_per_second": 200, **settings}
        campaign.status = "running"
        if balance:
            ledger.topup(session=session, account_id=tenant.account_id, amount=balance)


def add_contacts(db: Database, tenant: Tenant, phones: list[str]) -> None:
    from aicall.campaigns import service as campaign_service

    payload = {
        "campaign_id": tenant.campaign_id,
        "contacts": [{"phone_number": p, "ho_ten": f"Khách {p[-1]}"} for p in phones],
    }
    status, body = campaign_service.add_contacts(
        db=db,
        application_id=tenant.application_id,
        payload=payload,
        idempotency_key=None,
        max_contacts=10_000,
        region="VN",
    )
    assert status == 200, body


@dataclass
class Snapshot:
    contacts: dict[str, Contact]
    attempts: dict[str, list[CallAttempt]]
    account: Account


def snapshot(db: Database, tenant: Tenant) -> Snapshot:
    with db.reading() as session:
        contacts = {
            c.phone: c
            for c in session.scalars(select(Contact).where(Contact.campaign_id == tenant.campaign_id))
        }
        attempts: dict[str, list[CallAttempt]] = {}
        by_id = {c.id: c.phone for c in contacts.values()}
        for attempt in session.scalars(select(CallAttempt).order_by(CallAttempt.number)):
            attempts.setdefault(by_id.get(attempt.contact_id, "?"), []).append(attempt)
        account = session.get(Account, tenant.account_id)
        assert account is not None
    return Snapshot(contacts, attempts, account)


async def run_until_idle(dialer: Dialer, passes: int = 20) -> None:
    """Bounded: claim and drain until a pass starts nothing."""
    for _ in range(passes):
        started = await dialer.run_once()
        await dialer.drain()
        if not started:
            return
