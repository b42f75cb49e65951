"""Shared fixtures: one migrated database per run (SQLite by default, PostgreSQL when
PORTAL_DATABASE_URL says so), emptied before each test that uses it, and an app per test."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import datetime
from typing import Any

import argon2
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from portal import migrate
from portal.app import create_app
from portal.db import make_engine, make_sessionmaker
from portal.domain import passwords
from portal.domain.identity import sign_customer
from portal.domain.intake import validate_report
from portal.mail import Mail
from portal.models import Base, Report, Site, Staff
from portal.services.intake import submit_report
from portal.services.sites import create_site
from portal.services.staff import upsert_staff
from portal.settings import Settings
from tests.html import soup

TEST_SECRET = "test-secret-key-0123456789"
BASE_URL = "http://testserver.local"
SITE_ORIGIN = "https://shop.example"
PASSWORD = "correct horse battery"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests last: Playwright's sync API keeps an event loop running in this thread from
    the first browser test to the end of the session, and async tests cannot start under it."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is not None)


def pytest_report_header() -> str:
    return f"database: {os.environ.get('PORTAL_DATABASE_URL') or 'SQLite (temporary file)'}"


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing() -> Iterator[None]:
    """argon2 at its lowest cost: at production cost, hashing takes half the integration tests' time."""
    hasher = argon2.PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(passwords, "_hasher", hasher)
        patch.setattr(passwords, "_DUMMY_HASH", hasher.hash("no such account"))
        yield


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The run's database, migrated from scratch with Alembic (the same path `portal db upgrade` takes)."""
    url = (
        os.environ.get("PORTAL_DATABASE_URL") or f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'mend.sqlite3'}"
    )
    settings = Settings(database_url=url, secret_key=TEST_SECRET)
    if settings.is_postgres:
        asyncio.run(_reset_postgres(settings))
    migrate.upgrade(settings)
    return url


async def _reset_postgres(settings: Settings) -> None:
    engine = make_engine(settings)
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


def make_settings(database_url: str, **overrides: object) -> Settings:
    """Test settings: fast retries, the test client's base URL, no worker loop."""
    values: dict[str, object] = {
        "database_url": database_url,
        "secret_key": TEST_SECRET,
        "base_url": BASE_URL,
        "mail_backoff_seconds": 10.0,
        "mail_max_attempts": 3,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


@pytest.fixture
async def sessionmaker(settings: Settings) -> AsyncIterator[async_sessionmaker]:
    """A session factory on an emptied database."""
    engine = make_engine(settings)
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    async with engine.begin() as conn:
        if settings.is_postgres:
            await conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                await conn.execute(text(f"DELETE FROM {table}"))
    yield make_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture
async def session(sessionmaker: async_sessionmaker, settings: Settings) -> AsyncIterator[AsyncSession]:
    """The test's own session, on an engine of its own: with SQLite's single pooled connection,
    a test holding it open must not starve the worker or service under test."""
    engine = make_engine(settings)
    async with make_sessionmaker(engine)() as session:
        yield session
    await engine.dispose()


@pytest.fixture
async def site(session: AsyncSession) -> Site:
    """A site that allows https://shop.example and the default categories."""
    created = await create_site(
        session, name="Shop", origins=[SITE_ORIGIN], signer_name="Dana Whitfield", signer_role="Head of Care"
    )
    await session.commit()
    return created


@pytest.fixture
async def other_site(session: AsyncSession) -> Site:
    created = await create_site(session, name="Other Co", origins=["https://other.example"])
    await session.commit()
    return created


async def add_staff(session: AsyncSession, email: str, role: str, sites: list[Site]) -> Staff:
    staff = await upsert_staff(session, email=email, password=PASSWORD, role=role, sites=sites)
    await session.commit()
    return staff


@pytest.fixture
def app(settings: Settings, sessionmaker: async_sessionmaker) -> Litestar:
    return create_app(settings)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient]:
    async with AsyncTestClient(app, base_url=BASE_URL) as client:
        yield client


async def login(client: AsyncTestClient, email: str, password: str = PASSWORD) -> None:
    """Sign in through the real form, CSRF token included."""
    token = csrf_token((await client.get("/staff/login")).text)
    response = await client.post(
        "/staff/login",
        data={"email": email, "password": password, "_csrf_token": token, "next": "/staff"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


async def as_admin(client: AsyncTestClient, session: AsyncSession) -> str:
    """Sign in as a new admin; returns a CSRF token for the forms that follow."""
    await add_staff(session, "admin@mend.example", "admin", [])
    await login(client, "admin@mend.example")
    return csrf_token((await client.get("/staff")).text)


def csrf_token(html: str) -> str:
    """The CSRF token a page embeds in its forms."""
    field = soup(html).select_one('input[name="_csrf_token"]')
    assert field, "page has no CSRF field"
    return str(field["value"])


def report_body(site: Site, **fields: object) -> dict[str, object]:
    """A valid report for `site`, with fields overridden."""
    body: dict[str, object] = {
        "site_key": site.key,
        "category": "delivery",
        "description": "The parcel came two days late.",
    }
    body.update(fields)
    return body


def signed_as(site: Site, customer_id: str) -> dict[str, str]:
    """The identity fields a site's host page signs for a customer it knows."""
    return {"customer_id": customer_id, "customer_sig": sign_customer(site.secret, customer_id)}


ReportFactory = Callable[..., Awaitable[Report]]


@pytest.fixture
def make_report(client: AsyncTestClient, session: AsyncSession, settings: Settings) -> ReportFactory:
    """Makes a report the way a customer does, through POST /api/v1/reports, and returns its stored row
    with the API's JSON answer kept on it as `.receipt`. Given `at`, it goes to the intake service
    instead, since only there can a report be dated in the past (and there is no receipt)."""

    async def make(
        site: Site, *, at: datetime | None = None, headers: dict[str, str] | None = None, **fields: Any
    ) -> Report:
        body = report_body(site, **fields)
        if at is None:
            response = await client.post("/api/v1/reports", json=body, headers=headers)
            assert response.status_code == 201, response.text
            receipt = response.json()
            ref = receipt["id"]
        else:
            made = await submit_report(
                session,
                site=site,
                draft=validate_report(body, [c["slug"] for c in site.categories]),
                client_address="10.0.0.1",
                user_agent=None,
                settings=settings,
                mail=Mail.from_settings(settings),
                now=at,
            )
            receipt, ref = None, made.ref
        report = await session.scalar(select(Report).where(Report.ref == ref))
        report.receipt = receipt
        return report

    return make
