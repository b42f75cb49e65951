"""Limits that hold under concurrency: reports per address, the per-site ceiling and its flood mail, sign-in
throttling, the client address behind proxies, and two server processes sharing all of it.

Concurrent requests go through httpx's ASGI transport on the test's own event loop, each from the
address it names, so on PostgreSQL they really run side by side on separate connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime, timedelta

import httpx
from litestar import Litestar
from sqlalchemy import event, func, select

from portal.app import create_app
from portal.db import make_engine, make_sessionmaker
from portal.mail import Mail
from portal.models import MeToo, OutboxMail, RateCounter, Report, Site, utcnow
from portal.services import floods, limits
from portal.worker import Worker
from tests.conftest import BASE_URL, PASSWORD, TEST_SECRET, add_staff, csrf_token, make_settings, report_body
from tests.html import one, text_of
from tests.integration.test_corrective_actions import as_lead, new_ca, save
from tests.smtp import free_port

HTMX = {"HX-Request": "true", "HX-Target": "panel", "origin": BASE_URL}
Peer = Callable[[str], httpx.AsyncClient]


@contextlib.asynccontextmanager
async def serving(app: Litestar) -> AsyncIterator[Peer]:
    """The app started, and a client per address it should see requests come from."""
    clients: list[httpx.AsyncClient] = []

    def peer(address: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(address, 50000))
        clients.append(httpx.AsyncClient(transport=transport, base_url=BASE_URL))
        return clients[-1]

    async with app.lifespan():
        try:
            yield peer
        finally:
            for client in clients:
                await client.aclose()


async def count(session, model) -> int:
    return await session.scalar(select(func.count()).select_from(model))


async def sign_in_form(client: httpx.AsyncClient, email: str, password: str) -> dict[str, str]:
    token = csrf_token((await client.get("/staff/login")).text)
    return {"email": email, "password": password, "_csrf_token": token}


async def test_twenty_concurrent_reports_from_one_address_accept_exactly_the_limit(app, session, site):
    async with serving(app) as peer:
        customer = peer("198.51.100.7")
        answers = await asyncio.gather(
            *(customer.post("/api/v1/reports", json=report_body(site, description=f"Late, try {n}")) for n in range(20))
        )
        assert sorted(a.status_code for a in answers) == [201] * 5 + [429] * 15
        assert all(1 <= int(a.headers["retry-after"]) <= 60 for a in answers if a.status_code == 429)
        assert await count(session, Report) == 5


async def test_reports_an_address_limit_refuses_take_no_place_under_the_site_ceiling(app, session, site):
    # One group: a noisy address past its limit of 5, and four quiet customers. The ceiling of 8 admits
    # the noisy address's 5 and three quiet ones: the 10 refused hits never took a place under it.
    site.max_reports_per_minute = 8
    await session.commit()
    async with serving(app) as peer:
        noisy, quiet = peer("198.51.100.7"), [peer(f"198.51.100.{n}") for n in range(20, 24)]
        posts = [noisy.post("/api/v1/reports", json=report_body(site, description=f"Noisy {n}")) for n in range(15)]
        posts += [client.post("/api/v1/reports", json=report_body(site, description="Quiet")) for client in quiet]
        answers = await asyncio.gather(*posts)
    noisy_codes = sorted(a.status_code for a in answers[:15])
    quiet_codes = sorted(a.status_code for a in answers[15:])
    assert await count(session, Report) == 8
    assert noisy_codes.count(201) + quiet_codes.count(201) == 8
    assert noisy_codes.count(201) <= 5
    assert quiet_codes.count(201) >= 3
    hits = {row.key: row.hits for row in await session.scalars(select(RateCounter))}
    assert hits[limits.counter_key("site", str(site.id))] == 8  # the admitted reports only
    assert sorted(hits.values())[-1] == 15  # the noisy address: every try counts against its own limit


async def test_concurrent_me_too_from_one_address_takes_exactly_the_limit(app, session, site):
    async with serving(app) as peer:
        lead = peer("203.0.113.1")
        token = await as_lead(lead, session, site)
        created = await lead.post("/api/v1/reports", json=report_body(site))
        report = await session.scalar(select(Report).where(Report.ref == created.json()["id"]))
        ca = await new_ca(lead, session, token, report)
        await save(lead, ca, token, public="1", public_wording="Parcels are late this week.", page_pattern="/orders/*")
        customer = peer("198.51.100.8")
        answers = await asyncio.gather(
            *(
                customer.post(f"/w/{site.key}/known/{ca.id}", data={"email": f"c{n}@example.com"}, headers=HTMX)
                for n in range(20)
            )
        )
        assert sorted(a.status_code for a in answers) == [200] * 5 + [429] * 15
        assert await count(session, MeToo) == 5


async def test_twenty_concurrent_wrong_passwords_check_five_and_the_owner_still_signs_in_elsewhere(app, session, site):
    async with serving(app) as peer:
        await add_staff(session, "agent@shop.example", "agent", [site])
        guesser = peer("198.51.100.66")
        wrong = await sign_in_form(guesser, "agent@shop.example", "guess")
        answers = await asyncio.gather(*(guesser.post("/staff/login", data=wrong) for _ in range(20)))
        assert sorted(a.status_code for a in answers) == [400] * 5 + [429] * 15

        right_here = await guesser.post("/staff/login", data={**wrong, "password": PASSWORD})
        assert right_here.status_code == 429
        assert int(right_here.headers["retry-after"]) > 0
        assert "Too many failed sign-ins. Please wait 15 minutes" in text_of(right_here.text, '[role="alert"]')
        assert one(right_here.text, "input#email")["value"] == "agent@shop.example"

        owner = peer("203.0.113.10")
        signed_in = await owner.post("/staff/login", data=await sign_in_form(owner, "agent@shop.example", PASSWORD))
        assert signed_in.status_code == 303


async def test_one_address_guessing_many_accounts_is_throttled_too(app, session):
    async with serving(app) as peer:
        guesser = peer("198.51.100.67")
        form = await sign_in_form(guesser, "", "guess")
        for n in range(20):
            assert (
                await guesser.post("/staff/login", data={**form, "email": f"user{n}@shop.example"})
            ).status_code == 400
        assert (await guesser.post("/staff/login", data={**form, "email": "user20@shop.example"})).status_code == 429


async def test_signing_in_successfully_uses_up_nothing(app, session, site):
    async with serving(app) as peer:
        await add_staff(session, "agent@shop.example", "agent", [site])
        owner = peer("203.0.113.11")
        form = await sign_in_form(owner, "agent@shop.example", PASSWORD)
        for _ in range(8):
            owner.cookies.delete("mend_session")
            assert (await owner.post("/staff/login", data=form)).status_code == 303


async def test_past_the_site_ceiling_reports_get_429_and_the_admins_one_mail_saying_how_many(
    app, session, site, sessionmaker, settings
):
    async with serving(app) as peer:
        site.max_reports_per_minute = 3
        await session.commit()
        await add_staff(session, "admin@mend.example", "admin", [])
        french = await add_staff(session, "admin.fr@mend.example", "admin", [])
        french.language = "fr"
        await session.commit()
        await add_staff(session, "lead@shop.example", "lead", [site])

        # Eight customers at once, each from an address of their own: the ceiling counts them together.
        answers = await asyncio.gather(
            *(peer(f"198.51.100.{n}").post("/api/v1/reports", json=report_body(site)) for n in range(8))
        )
        assert sorted(a.status_code for a in answers) == [201] * 3 + [429] * 5
        refused = [a for a in answers if a.status_code == 429]
        assert all(1 <= int(a.headers["retry-after"]) <= 60 for a in refused)
        assert all("Unusually many reports are arriving right now" in a.json()["detail"] for a in refused)
        panel = await peer("198.51.100.99").post(
            f"/w/{site.key}", data={"category": "website", "description": "Checkout hung"}, headers=HTMX
        )
        assert panel.status_code == 429
        assert panel.headers["retry-after"]
        assert "Unusually many reports are arriving right now" in text_of(panel.text, "#panel-status")
        assert text_of(panel.text, "textarea#description") == "Checkout hung"
        assert await count(session, Report) == 3

        mail = Mail.from_settings(settings)
        assert await floods.notify_floods(sessionmaker, mail=mail, now=utcnow() + timedelta(seconds=30)) == 0
        # Once it is over, two workers at once: one of them reports it.
        other_engine = make_engine(settings)
        later = utcnow() + floods.FLOOD_QUIET + timedelta(seconds=1)
        reported = await asyncio.gather(
            floods.notify_floods(sessionmaker, mail=mail, now=later),
            floods.notify_floods(make_sessionmaker(other_engine), mail=mail, now=later),
        )
        await other_engine.dispose()
        assert sorted(reported) == [0, 1]
        assert await floods.notify_floods(sessionmaker, mail=mail, now=later + timedelta(hours=1)) == 0

        notices = (
            await session.scalars(
                select(OutboxMail).where(OutboxMail.dedupe_key.like("flood:%")).order_by(OutboxMail.to_addr)
            )
        ).all()
        assert [n.to_addr for n in notices] == ["admin.fr@mend.example", "admin@mend.example"]
        english = notices[1]
        assert english.subject == "Shop: 6 reports refused in a flood"
        assert "more than 3 reports a minute reached Shop, so Mend refused 6 reports" in english.text_body
        assert f"{BASE_URL}/staff/sites/{site.id}" in english.text_body
        assert notices[0].subject.startswith("Shop")  # in French, the admin's language
        assert "6" in notices[0].subject
        assert notices[0].subject != english.subject


async def refuse(sessionmaker, site: Site, at: datetime) -> None:
    async with sessionmaker() as work:
        await floods.record_refusal(work, await work.get(Site, site.id), at)
        await work.commit()


async def flood_subjects(session) -> list[str]:
    return list((await session.scalars(select(OutboxMail.subject).order_by(OutboxMail.id))).all())


async def test_a_refusal_after_the_notice_starts_a_new_flood(session, site, sessionmaker, settings):
    await add_staff(session, "admin@mend.example", "admin", [])
    mail, start = Mail.from_settings(settings), utcnow()
    await refuse(sessionmaker, site, start)
    await refuse(sessionmaker, site, start + timedelta(seconds=30))
    assert await floods.notify_floods(sessionmaker, mail=mail, now=start + timedelta(minutes=3)) == 1
    await refuse(sessionmaker, site, start + timedelta(minutes=5))
    assert await floods.notify_floods(sessionmaker, mail=mail, now=start + timedelta(minutes=6)) == 0
    assert await floods.notify_floods(sessionmaker, mail=mail, now=start + timedelta(minutes=8)) == 1
    assert await flood_subjects(session) == ["Shop: 2 reports refused in a flood", "Shop: 1 report refused in a flood"]


async def test_a_flood_that_goes_on_is_reported_after_half_an_hour(session, site, sessionmaker, settings):
    await add_staff(session, "admin@mend.example", "admin", [])
    mail, start = Mail.from_settings(settings), utcnow()
    for minute in range(31):
        await refuse(sessionmaker, site, start + timedelta(minutes=minute))
        assert await floods.notify_floods(sessionmaker, mail=mail, now=start + timedelta(minutes=minute)) == int(
            minute == 30
        )
    assert await flood_subjects(session) == ["Shop: 31 reports refused in a flood"]


async def test_forwarded_addresses_count_only_from_a_trusted_proxy(database_url, sessionmaker, session, site):
    app = create_app(make_settings(database_url, trusted_proxies=("10.0.0.0/8",)))
    async with serving(app) as peer:
        spoofer, proxy = peer("203.0.113.9"), peer("10.0.0.2")
        spoofed = [
            await spoofer.post("/api/v1/reports", json=report_body(site), headers={"X-Forwarded-For": f"192.0.2.{n}"})
            for n in range(6)
        ]
        assert [r.status_code for r in spoofed] == [201] * 5 + [429]  # one address, whatever it claims
        for n in range(6):  # six customers behind our proxy, each counted on their own
            response = await proxy.post(
                "/api/v1/reports", json=report_body(site), headers={"X-Forwarded-For": f"192.0.2.{n}"}
            )
            assert response.status_code == 201
        one_customer = [
            await proxy.post("/api/v1/reports", json=report_body(site), headers={"X-Forwarded-For": "192.0.2.0"})
            for _ in range(5)
        ]
        assert [r.status_code for r in one_customer] == [201] * 4 + [429]


# Two real `portal run` processes on the test database.


@contextlib.contextmanager
def portal_servers(database_url: str, count: int) -> Iterator[list[str]]:
    env = {
        **{k: v for k, v in os.environ.items() if k != "PORTAL_TRUSTED_PROXIES"},
        "PORTAL_DATABASE_URL": database_url,
        "PORTAL_SECRET_KEY": TEST_SECRET,
        "PORTAL_REPORTS_PER_MINUTE": "5",
        "PORTAL_LOG_LEVEL": "warning",
    }
    ports = [free_port() for _ in range(count)]
    servers = [
        subprocess.Popen(
            [sys.executable, "-m", "portal", "run", "--port", str(port), "--no-access-log"],
            env={**env, "PORTAL_BASE_URL": f"http://127.0.0.1:{port}"},
        )
        for port in ports
    ]
    try:
        yield [f"http://127.0.0.1:{port}" for port in ports]
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(10)


async def healthy(url: str) -> None:
    """Wait for a server's health check (it has no other readiness signal)."""
    async with httpx.AsyncClient() as http, asyncio.timeout(30):
        while True:
            with contextlib.suppress(httpx.TransportError):
                if (await http.get(f"{url}/health", timeout=1)).status_code == 200:
                    return
            await asyncio.sleep(0.1)


async def test_two_server_processes_share_the_limits_and_ignore_spoofed_forwarding(
    database_url, sessionmaker, session, site
):
    await add_staff(session, "agent@shop.example", "agent", [site])
    with portal_servers(database_url, 2) as urls:
        await asyncio.gather(*(healthy(url) for url in urls))
        async with httpx.AsyncClient(base_url=urls[0]) as first, httpx.AsyncClient(base_url=urls[1]) as second:
            servers = [(first, urls[0]), (second, urls[1])]
            # One address (127.0.0.1) claiming twenty others, spread over both processes.
            answers = await asyncio.gather(
                *(
                    http.post(
                        f"{url}/api/v1/reports",
                        json=report_body(site, description=f"Late, try {n}"),
                        headers={"X-Forwarded-For": f"192.0.2.{n}", "origin": url},
                    )
                    for n, (http, url) in enumerate(servers * 10)
                )
            )
            assert sorted(a.status_code for a in answers) == [201] * 5 + [429] * 15
            forms = [await sign_in_form(http, "agent@shop.example", "guess") for http, _ in servers]
            guesses = await asyncio.gather(
                *(http.post(f"{url}/staff/login", data=forms[n % 2]) for n, (http, url) in enumerate(servers * 10))
            )
            assert sorted(g.status_code for g in guesses) == [400] * 5 + [429] * 15
    assert await count(session, Report) == 5


async def test_the_worker_reports_floods_that_are_over_and_forgets_spent_counters(
    session, site, sessionmaker, settings
):
    await add_staff(session, "admin@mend.example", "admin", [])
    now = utcnow()
    await refuse(sessionmaker, site, now - timedelta(minutes=3))
    async with sessionmaker() as work:
        for key, at in (("spent", now - timedelta(minutes=2)), ("live", now)):
            await limits.hit(work, key, limit=5, window=timedelta(minutes=1), now=at)
        await work.commit()
    await Worker(settings, sessionmaker, Mail.from_settings(settings)).housekeeping()
    assert await flood_subjects(session) == ["Shop: 1 report refused in a flood"]
    assert (await session.scalars(select(RateCounter.key))).all() == ["live"]


async def test_retry_after_never_exceeds_the_window(sessionmaker):
    # Two requests at once: the one that read the clock a second later started the window.
    now, minute = utcnow(), timedelta(minutes=1)
    async with sessionmaker() as work:
        await limits.hit(work, "report:x", limit=1, window=minute, now=now + timedelta(seconds=1))
        earlier = await limits.hit(work, "report:x", limit=1, window=minute, now=now)
    assert not earlier.allowed
    assert earlier.retry_after == 60


async def test_a_group_counts_many_addresses_in_one_statement_and_each_window_on_its_own(sessionmaker):
    # An incident brings many addresses at once: one round trip for all of them, however many there are.
    now, minute = utcnow(), timedelta(minutes=1)
    async with sessionmaker() as work:
        await limits.hit(work, "report:old", limit=5, window=minute, now=now - timedelta(minutes=2))
        await limits.hit(work, "report:live", limit=5, window=minute, now=now - timedelta(seconds=10))
        statements: list[str] = []
        engine = work.get_bind()

        def listen(conn: object, cursor: object, statement: str, *rest: object) -> None:
            statements.append(statement)

        event.listen(engine, "before_cursor_execute", listen)
        try:
            counts = {"report:old": 2, "report:live": 3} | {f"report:new-{n}": 1 for n in range(40)}
            counted = await limits.hit_many(work, counts, window=minute, now=now)
        finally:
            event.remove(engine, "before_cursor_execute", listen)
        await work.commit()
    assert len(statements) == 1
    assert counted["report:old"] == (2, 60)  # its window was over: it starts again with these hits
    assert counted["report:live"] == (4, 50)  # still open: added, and it ends when it would have
    assert {counted[f"report:new-{n}"] for n in range(40)} == {(1, 60)}
