"""The migrations build the schema the models describe, on SQLite and on PostgreSQL alike."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection

from portal.db import make_engine
from portal.models import Base
from portal.settings import Settings


def schema_drift(connection: Connection) -> list[Any]:
    """What `portal db revision` would have to add to make the database match the models.

    Column types and server defaults are compared too, so a model default that no migration set
    (which raw SQL and rows written by older code would see) counts as drift.
    """
    context = MigrationContext.configure(connection, opts={"compare_type": True, "compare_server_default": True})
    return compare_metadata(context, Base.metadata)


async def test_migrated_database_matches_the_models(settings: Settings) -> None:
    engine = make_engine(settings)  # the `database_url` fixture migrated it with Alembic from scratch
    try:
        async with engine.connect() as connection:
            drift = await connection.run_sync(schema_drift)
    finally:
        await engine.dispose()
    assert drift == [], "models and migrations differ; add a migration (`portal db revision MESSAGE`)"
