"""PORTAL_DATABASE_READ_URL: trends, exports and monthly results read from the replica, read-only."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import delete, select
from sqlalchemy.exc import DBAPIError

from portal.app import create_app
from portal.db import make_engine, make_read_engine, make_sessionmaker
from portal.mail import Mail
from portal.models import MonthlyResult
from portal.services import monthly
from tests.conftest import BASE_URL, add_staff, login, make_settings
from tests.integration.test_monthly import last_month_with_reports


async def client_for(settings) -> AsyncIterator[AsyncTestClient]:
    async with AsyncTestClient(create_app(settings), base_url=BASE_URL) as client:
        yield client


@pytest.fixture
async def same_database_client(database_url: str, sessionmaker) -> AsyncIterator[AsyncTestClient]:
    """The app with its read URL pointing at its own database, as with a replica that is never behind."""
    async for client in client_for(make_settings(database_url, database_read_url=database_url)):
        yield client


async def test_trends_exports_and_results_read_through_a_read_url_on_the_same_database(
    same_database_client, session, sessionmaker, settings, site, make_report
):
    client = same_database_client
    await add_staff(session, "lee@shop.example", "lead", [site])
    due = await last_month_with_reports(session, site, make_report)
    await monthly.build_due(sessionmaker, mail=Mail.from_settings(settings), now=due)
    result = await session.scalar(select(MonthlyResult))
    await login(client, "lee@shop.example")

    assert (await client.get("/staff/trends")).status_code == 200
    assert (await client.get("/staff/trends/cell?dimension=category&value=delivery")).status_code == 200
    assert "Parcel late again." in (await client.get("/staff/export/reports.csv")).text
    assert "Parcel late again." in (await client.get("/staff/export/reports.json")).text
    assert (await client.get("/staff/results")).status_code == 200
    assert (await client.get(f"/staff/results/{result.id}")).status_code == 200


async def delete_results(engine) -> None:
    async with make_sessionmaker(engine)() as session:
        await session.execute(delete(MonthlyResult))
        await session.commit()


async def test_the_read_engine_refuses_writes(settings):
    assert make_read_engine(settings) is None  # no read URL: everything reads the primary
    engine = make_read_engine(make_settings(settings.database_url, database_read_url=settings.database_url))
    with pytest.raises(DBAPIError, match=r"(?i)read.only|readonly"):
        await delete_results(engine)
    await engine.dispose()


async def test_with_a_replica_of_its_own_the_pages_show_the_replicas_rows(
    session, sessionmaker, settings, site, make_report, tmp_path: Path
):
    if settings.is_postgres:
        pytest.skip("copies the SQLite file to make a replica that differs from the primary")
    await add_staff(session, "lee@shop.example", "lead", [site])
    due = await last_month_with_reports(session, site, make_report)
    replica_file = tmp_path / "replica.sqlite3"
    with sqlite3.connect(settings.database_url.split("///", 1)[1]) as primary, sqlite3.connect(replica_file) as copy:
        primary.backup(copy)
    replica_url = f"sqlite+aiosqlite:///{replica_file}"
    # Only the replica has the month's results; only the primary has the newest report.
    replica = make_engine(make_settings(replica_url))
    await monthly.build_due(make_sessionmaker(replica), mail=Mail.from_settings(settings), now=due)
    await replica.dispose()
    await make_report(site, description="Only on the primary.")

    async for client in client_for(make_settings(settings.database_url, database_read_url=replica_url)):
        await login(client, "lee@shop.example")
        export = (await client.get("/staff/export/reports.csv")).text
        assert "Parcel late again." in export
        assert "Only on the primary." not in export
        assert "/staff/results/" in (await client.get("/staff/results")).text
    assert await session.scalar(select(MonthlyResult)) is None
