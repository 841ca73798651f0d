"""Opening the platform's storage: settings -> migrated database + secret box."""

from __future__ import annotations

from dataclasses import dataclass

from aicall.accounts.secrets_box import SecretBox
from aicall.config import Settings
from aicall.db import migrate
from aicall.db.engine import Database


@dataclass
class Platform:
    settings: Settings
    db: Database
    box: SecretBox


def open_platform(settings: Settings, *, run_migrations: bool = True) -> Platform:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.resolved_database_url)
    if run_migrations:
        migrate.upgrade(db.engine)
    return Platform(settings=settings, db=db, box=SecretBox(settings.ensure_secret_key()))
