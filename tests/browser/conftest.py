"""Browser tests: the dashboard served by a real uvicorn with the engine on the simulator, on a
real SQLite file, driven by Playwright in Debian's Chromium (never `playwright install`).

Fixtures: `dashboard` (the server, its demo tenant and login), `browser` (Chromium, once per
run), `page` (a fresh context signed in as the demo user), `login(page, email, password)`.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright

from aicall.accounts.secrets_box import SecretBox
from aicall.app import create_app
from aicall.config import Settings
from aicall.db import migrate
from aicall.db.engine import Database
from aicall.demo import DemoTenant, ensure_demo
from tests.integration.support import SECRET_KEY, free_port

CHROMIUM = "/usr/bin/chromium"
# The flags the machine's own probe uses: no sandbox as root, and no background connections to
# hosts this closed network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@dataclass
class Dashboard:
    url: str
    settings: Settings
    db: Database
    demo: DemoTenant


@pytest.fixture(scope="package")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    """aicall serve on a free port: SQLite, the engine on, simulated phones 20x faster."""
    data_dir = Path(tmp_path_factory.mktemp("dashboard"))
    port = free_port()
    settings = Settings(
        data_dir=data_dir,
        database_url=f"sqlite:///{data_dir / 'aicall.db'}",
        secret_key=SECRET_KEY,
        host="127.0.0.1",
        port=port,
        run_engine=True,
        sim_time_scale=0.05,
        dialer_tick=0.1,
        # The tests' webhook receivers listen on the loopback, which the URL guard refuses by default.
        webhook_allow_private=True,
    )
    db = Database(settings.resolved_database_url)
    migrate.upgrade(db.engine)
    with db.transaction() as session:
        demo = ensure_demo(session=session, box=SecretBox(SECRET_KEY))
    app = create_app(settings, db=db)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("dashboard server did not start")
        time.sleep(0.05)
    yield Dashboard(url=f"http://127.0.0.1:{port}", settings=settings, db=db, demo=demo)
    server.should_exit = True
    thread.join(timeout=30)
    db.dispose()


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless; a missing one fails in CI (AICALL_REQUIRE_TOOLS=1).

    Package-scoped, not session-scoped: Playwright's sync API keeps an event loop running in this
    thread while it is open, and the asyncio tests that run after tests/browser/ would fail with
    "Cannot run the event loop while another loop is running"."""
    if shutil.which("chromium") is None and not os.path.exists(CHROMIUM):
        message = "chromium is not installed (apt-get install chromium)"
        if os.environ.get("AICALL_REQUIRE_TOOLS") == "1":
            pytest.fail(message + " (AICALL_REQUIRE_TOOLS=1: CI must install it)")
        pytest.skip(message)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def login(page: Page, base_url: str, email: str, password: str) -> None:
    """Sign in through the login form, as a person would."""
    page.goto(f"{base_url}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()


@pytest.fixture
def page(browser: Browser, dashboard: Dashboard) -> Iterator[Page]:
    """A fresh browser context (its own cookies) signed in as the demo user, in Vietnamese."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    context.set_default_timeout(15_000)
    new_page = context.new_page()
    login(new_page, dashboard.url, dashboard.demo.login_email, dashboard.demo.login_password)
    yield new_page
    context.close()


@pytest.fixture
def anonymous_page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context nobody has signed in to."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()
