"""Run Alembic migrations programmatically (`aicall init`, `aicall serve`, tests).

Upgrading needs only the migration scripts. Autogenerate and check compare against the models'
metadata, which the caller passes in (`aicall.all_models.metadata`): `db/` is below the domains
and does not import their models.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, MetaData

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return config


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest revision (a no-op when it is there already)."""
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def revision(engine: Engine, message: str, *, metadata: MetaData) -> None:
    """Developer helper: autogenerate a migration from the models in `metadata`."""
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        config.attributes["target_metadata"] = metadata
        command.revision(config, message=message, autogenerate=True)


def check(engine: Engine, *, metadata: MetaData) -> None:
    """Raise if the models in `metadata` and the migrations disagree."""
    config = alembic_config(engine)
    with engine.connect() as connection:
        config.attributes["connection"] = connection
        config.attributes["target_metadata"] = metadata
        command.check(config)
