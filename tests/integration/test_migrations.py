"""Models and migrations never drift, on either database."""

from aicall import all_models
from aicall.db import migrate


def test_models_match_the_migrations(database):
    migrate.check(database.engine, metadata=all_models.metadata)


def test_upgrade_twice_is_a_no_op(database):
    migrate.upgrade(database.engine)
    migrate.check(database.engine, metadata=all_models.metadata)
