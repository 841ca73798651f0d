"""Wake-ups across processes: on PostgreSQL a commit of events NOTIFYs, and a dispatcher in
another process claims at once instead of at its next poll (`webhooks.listener`). The
dispatchers here poll every 60 s: an event that arrives within the test's 30 s wait was
claimed because of a wake-up, not a poll."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import event as sa_event
from sqlalchemy.engine import make_url

from aicall.bootstrap import open_platform
from aicall.config import Settings
from aicall.db.engine import Database
from aicall.engine import Engine
from aicall.webhooks import outbox
from aicall.webhooks.listener import CHANNEL, PgListener, conninfo
from tests.integration.support import SECRET_KEY
from tests.integration.webhooks.helpers import BOX, dispatcher, emit, example

POLL = 60.0  # the dispatchers' idle delay: longer than any wait below
WAIT = 30.0  # seconds the tests wait for a delivery
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def pg(db: Database) -> Database:
    if db.dialect != "postgresql":
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's")
    return db


def emit_from_another_process(db: Database, application_id: str) -> None:
    """Commit one event from a separate Python process (as `aicall worker` or an API process would)."""
    code = (
        "import sys\n"
        "from aicall.db.engine import Database\n"
        "from tests.integration.webhooks.helpers import emit\n"
        "db = Database(sys.argv[1])\n"
        "emit(db, sys.argv[2], 'scenario.rejected')\n"
        "db.dispose()\n"
    )
    subprocess.run(
        [sys.executable, "-c", code, db.engine.url.render_as_string(hide_password=False), application_id],
        cwd=ROOT,
        check=True,
        timeout=60,
    )


async def wait_listening(listener: PgListener, *, connections: int) -> None:
    for _ in range(300):  # bounded: 30 s
        if listener.listening.is_set() and listener.connections >= connections:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"the dispatcher did not reach LISTEN (connection {connections})")


async def test_an_event_committed_by_another_process_wakes_the_dispatcher_before_its_poll(
    pg, hooked, receiver
):
    emit(pg, hooked.application_id)  # taken by the first claim; after it the loop sleeps POLL
    stop = asyncio.Event()
    async with dispatcher(pg) as sender:
        assert sender.listener is not None
        loop_task = asyncio.create_task(sender.run(stop, idle_delay=POLL))
        try:
            await receiver.wait_for_async(1, timeout=WAIT)
            await wait_listening(sender.listener, connections=1)
            await asyncio.to_thread(emit_from_another_process, pg, hooked.application_id)
            received = await receiver.wait_for_async(2, timeout=WAIT)
        finally:
            stop.set()
            await asyncio.wait_for(loop_task, timeout=WAIT)
    assert [r.headers["content-type"] for r in received] == ["application/json"] * 2
    assert b"scenario.rejected" in received[1].body


async def test_a_killed_listen_connection_is_made_again_and_wakeups_continue(pg, hooked, receiver):
    emit(pg, hooked.application_id)
    stop = asyncio.Event()
    async with dispatcher(pg) as sender:
        listener = sender.listener
        assert listener is not None
        loop_task = asyncio.create_task(sender.run(stop, idle_delay=POLL))
        try:
            await receiver.wait_for_async(1, timeout=WAIT)
            await wait_listening(listener, connections=1)
            killed = listener.backend_pid
            with pg.engine.connect() as conn:  # as an operator's pg_terminate_backend, or a restart
                conn.exec_driver_sql(f"SELECT pg_terminate_backend({killed})")
            await wait_listening(listener, connections=2)
            assert listener.backend_pid != killed
            await asyncio.to_thread(emit_from_another_process, pg, hooked.application_id)
            await receiver.wait_for_async(2, timeout=WAIT)
        finally:
            stop.set()
            await asyncio.wait_for(loop_task, timeout=WAIT)
    # The LISTEN connection is closed with the run: no session is left behind on the server
    # (its backend process ends a moment after the client has gone).
    for _ in range(100):  # bounded: 10 s
        if listen_sessions(pg) == 0:
            break
        await asyncio.sleep(0.1)
    assert listen_sessions(pg) == 0


def listen_sessions(db: Database) -> int:
    with db.engine.connect() as conn:
        return int(
            conn.exec_driver_sql(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'aicall-webhooks-listen'"
                " AND datname = current_database()"
            ).scalar_one()
        )


@pytest.fixture
def listening(pg: Database) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    """A connection of the test's own in LISTEN on the dispatchers' channel."""
    with psycopg.connect(conninfo(make_url(pg.url)), autocommit=True) as conn:
        conn.execute(f"LISTEN {CHANNEL}")
        yield conn


def received_notifications(db: Database, conn: psycopg.Connection[tuple[object, ...]]) -> int:
    """How many notifications were committed so far: a marker is notified last (notifications
    arrive in commit order), so reading up to it proves nothing else is on its way."""
    with db.engine.connect() as other:
        other.exec_driver_sql(f"SELECT pg_notify('{CHANNEL}', 'marker')")
        other.commit()
    for count, notification in enumerate(conn.notifies(timeout=WAIT)):
        if notification.payload == "marker":
            return count
    raise AssertionError("the marker notification did not arrive")


@pytest.fixture
def notify_statements(db: Database) -> Iterator[list[str]]:
    """The pg_notify statements the application sends, as they are sent."""
    seen: list[str] = []

    def before(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if "pg_notify" in statement:
            seen.append(statement)

    sa_event.listen(db.engine, "before_cursor_execute", before)
    yield seen
    sa_event.remove(db.engine, "before_cursor_execute", before)


def emit_in_one_transaction(db: Database, application_id: str, count: int, *, fail: bool = False) -> None:
    body = example("scenario.approved")
    with db.transaction() as session:
        for _ in range(count):
            outbox.emit(session, application_id=application_id, event_type=body["type"], payload=body["data"])
        if fail:
            raise RuntimeError("the caller's work failed")


def test_a_transaction_of_several_events_notifies_once_and_a_rolled_back_one_not_at_all(
    pg, hooked, listening, notify_statements
):
    emit_in_one_transaction(pg, hooked.application_id, 3)
    assert len(notify_statements) == 1
    with pytest.raises(RuntimeError):
        emit_in_one_transaction(pg, hooked.application_id, 1, fail=True)
    assert received_notifications(pg, listening) == 1


def test_with_notify_turned_off_commits_of_events_send_no_notification(pg, hooked, listening):
    outbox.set_notify(pg, False)  # AICALL_PG_NOTIFY=0
    try:
        emit_in_one_transaction(pg, hooked.application_id, 2)
    finally:
        outbox.set_notify(pg, True)
    assert received_notifications(pg, listening) == 0
    assert dispatcher(pg, listen=False).listener is None


def test_on_sqlite_the_dispatcher_only_polls_and_commits_send_no_notify(db, hooked, notify_statements):
    if db.dialect != "sqlite":
        pytest.skip("the SQLite behaviour")
    emit_in_one_transaction(db, hooked.application_id, 2)
    assert notify_statements == []
    assert dispatcher(db).listener is None


async def test_a_contacts_next_event_leaves_as_soon_as_the_one_before_is_delivered(db, hooked, receiver):
    # An attempt's event and its contact's are committed together; the second may go only once
    # the first is delivered (order per contact), and must not wait for the next poll then.
    contact = {"contact_id": "c9e1b1de-0000-4000-8000-000000000001"}
    attempt, finished = example("call.attempt.finished"), example("contact.finished")
    with db.transaction() as session:
        ids = [
            outbox.emit(
                session,
                application_id=hooked.application_id,
                event_type=body["type"],
                payload={**body["data"], **contact},
            )
            for body in (attempt, finished)
        ]
    stop = asyncio.Event()
    async with dispatcher(db) as sender:
        loop_task = asyncio.create_task(sender.run(stop, idle_delay=POLL))
        try:
            received = await receiver.wait_for_async(2, timeout=WAIT)
        finally:
            stop.set()
            await asyncio.wait_for(loop_task, timeout=WAIT)
    assert [r.webhook_id for r in received] == ids


def test_aicall_pg_notify_off_reaches_the_engines_dispatcher_and_the_platforms_commits(
    pg, hooked, listening, tmp_path
):
    settings = Settings(
        data_dir=tmp_path, database_url=pg.url, secret_key=SECRET_KEY, pg_notify=False, run_engine=False
    )
    engine = Engine(settings=settings, db=pg, box=BOX, dialer=False)
    assert engine.dispatcher is not None and engine.dispatcher.listener is None
    platform = open_platform(settings)  # how `aicall worker` and the CLI open the database
    try:
        emit_in_one_transaction(platform.db, hooked.application_id, 1)
    finally:
        platform.db.dispose()
    assert received_notifications(pg, listening) == 0
    on = Engine(settings=settings.model_copy(update={"pg_notify": True}), db=pg, box=BOX, dialer=False)
    assert on.dispatcher is not None and on.dispatcher.listener is not None
