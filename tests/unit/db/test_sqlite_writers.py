"""Writers of one process take turns on SQLite's single write lock without SQLite's busy handler:
a transaction that finds another one writing waits for it and starts the moment it commits
(the handler would sleep in steps of up to 100 ms, or fail at once with no busy timeout)."""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import event, text

from aicall.db.engine import Database


def test_a_writer_waits_for_the_one_writing_even_without_a_busy_timeout(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'w.db'}")

    @event.listens_for(db.engine, "connect")
    def _no_busy_wait(dbapi_connection: Any, _record: Any) -> None:
        # After the engine's own hook (30 s): with 0, SQLite refuses a second writer at once.
        dbapi_connection.execute("PRAGMA busy_timeout=0")

    with db.engine.begin() as conn:
        conn.execute(text("CREATE TABLE turns (writer TEXT)"))
    holding, errors = threading.Event(), []

    def first() -> None:
        with db.transaction() as session:
            session.execute(text("INSERT INTO turns VALUES ('first')"))
            holding.set()
            threading.Event().wait(0.3)  # still writing while the second one begins

    def second() -> None:
        holding.wait(5)
        try:
            with db.transaction() as session:
                session.execute(text("INSERT INTO turns VALUES ('second')"))
        except Exception as exc:  # "database is locked" without the queue
            errors.append(exc)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    with db.reading() as session:
        rows = [row[0] for row in session.execute(text("SELECT writer FROM turns ORDER BY rowid"))]
    db.dispose()
    assert errors == []
    assert rows == ["first", "second"]
