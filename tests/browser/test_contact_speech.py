"""A contact page in Chromium after a call with a speech menu and answering-machine detection:
what the callee said (quoted), the intent it matched, and the detector's verdict.

The calls are placed by the real dialer on the simulator, whose phones say words only when a rule
tells them to; the shared `dashboard` fixture's own engine dials phones without such rules, so
this test serves the dashboard on a database of its own (engine off) and dials it itself."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, expect
from sqlalchemy import select

from aicall.accounts.secrets_box import SecretBox
from aicall.app import create_app
from aicall.campaigns.models import Contact
from aicall.config import Settings
from aicall.db import migrate
from aicall.db.engine import Database
from aicall.demo import DemoTenant, ensure_demo
from aicall.dialer.backends import BackendRouter
from aicall.dialer.scheduler import Dialer
from aicall.interpreter.prompter import TextPrompter
from aicall.interpreter.script import Action, ActionType, KeyResponse, ResponseType
from aicall.telephony.sim import SimBackend, SimRules
from tests.browser.conftest import SCREENSHOTS, login
from tests.integration.dialer import support
from tests.integration.dialer.support import add_contacts, prepare_campaign, run_until_idle
from tests.integration.support import SECRET_KEY, Tenant, free_port

YES = "+84987650011"
MENU = Action(
    id="menu",
    type=ActionType.INTERACTIVE_MENU,
    label="Xác nhận lịch hẹn",
    content_text="Xin chào {{ho_ten}}, anh có xác nhận lịch hẹn ngày mai không?",
    responses=(KeyResponse("1", "thanks", intent="yes"), KeyResponse("2", "bye", intent="call_back_later")),
    response_type=ResponseType.KEYPAD_OR_SPEECH,
    timeout=3,
    max_retries=0,
)
THANKS = replace(support.THANKS, label="Cảm ơn")
SCRIPT = replace(support.SCRIPT, actions={**support.SCRIPT.actions, "menu": MENU, "thanks": THANKS})


@dataclass
class Served:
    url: str
    demo: DemoTenant
    contact_id: str


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The dashboard on its own SQLite file, the demo campaign's contact called once."""
    data_dir = Path(tmp_path_factory.mktemp("speech-contact"))
    port = free_port()
    settings = Settings(
        data_dir=data_dir,
        database_url=f"sqlite:///{data_dir / 'aicall.db'}",
        secret_key=SECRET_KEY,
        host="127.0.0.1",
        port=port,
        run_engine=False,
        asr_engine="echo",  # hears exactly the words the phone's rule says
    )
    db = Database(settings.resolved_database_url)
    migrate.upgrade(db.engine)
    with db.transaction() as session:
        demo = ensure_demo(session=session, box=SecretBox(SECRET_KEY))
    tenant = Tenant(demo.account_id, demo.application_id, demo.api_key, demo.api_secret, demo.campaign_id)
    prepare_campaign(db, tenant, retry=support.NO_RETRY, amd=True)
    add_contacts(db, tenant, [YES])
    dialer = Dialer(
        db=db,
        box=SecretBox(SECRET_KEY),
        settings=settings,
        router=BackendRouter(
            settings,
            sim=SimBackend(
                time_scale=0,
                rules=SimRules.from_dict({"rules": [{"number": YES, "say": "dạ vâng, đúng rồi"}]}),
            ),
        ),
        load_script=lambda _session, _scenario_id: SCRIPT,
        load_call_config=lambda _session, _scenario_id: {},
        prompter_for=lambda _script, _audio: TextPrompter(),
    )
    # Its own thread: Playwright's sync API keeps an event loop running in this one.
    calling = threading.Thread(target=lambda: asyncio.run(run_until_idle(dialer)))
    calling.start()
    calling.join(timeout=120)
    assert not calling.is_alive()
    with db.reading() as session:
        contact_id = session.scalars(select(Contact.id).where(Contact.phone == YES)).one()

    server = uvicorn.Server(
        uvicorn.Config(create_app(settings, db=db), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "dashboard server did not start"
        time.sleep(0.05)
    yield Served(f"http://127.0.0.1:{port}", demo, contact_id)
    server.should_exit = True
    thread.join(timeout=30)
    db.dispose()


def test_a_contact_page_shows_the_words_heard_their_intent_and_the_machine_detection(
    browser: Browser, served: Served
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    context.set_default_timeout(15_000)
    page = context.new_page()
    login(page, served.url, served.demo.login_email, served.demo.login_password)
    page.goto(f"{served.url}/contacts/{served.contact_id}")

    attempt = page.locator("article.attempt")
    expect(attempt).to_have_count(1)
    heard = attempt.locator("li.step-speech")
    expect(heard).to_contain_text("Khách nói")
    expect(heard.locator("q.heard")).to_have_text("dạ vâng, đúng rồi")
    expect(heard.locator("[data-intent=yes]")).to_contain_text("Có / đồng ý")
    expect(attempt.locator("li.step-keys")).to_have_count(0)
    expect(attempt.locator("p.amd")).to_contain_text("Phát hiện máy trả lời: người nghe")
    expect(attempt.locator("p.amd")).to_contain_text("quyết định sau")
    expect(attempt.locator(".path-step")).to_have_text(["Xác nhận lịch hẹn", "Cảm ơn"])
    page.screenshot(path=str(SCREENSHOTS / "contact.png"), full_page=True)
    context.close()
