"""Staff sign-in, the queue with its htmx filters, report pages and the mail page."""

from __future__ import annotations

from portal.domain.hotspots import SITE_HOUR_CAP
from portal.mail import Mail
from portal.worker import Worker
from tests.conftest import add_staff, csrf_token, login
from tests.html import every, one, text, text_of, texts

QUEUED = '[data-testid="queue-row"] td.desc'  # what each report in the queue says happened


async def test_staff_pages_need_a_login(client):
    for path in ("/staff", "/staff/reports/1", "/staff/mail"):
        response = await client.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/staff/login"), path


async def test_wrong_password_is_refused_with_a_clear_message(client, session, site):
    await add_staff(session, "agent@shop.example", "agent", [site])
    token = csrf_token((await client.get("/staff/login")).text)
    response = await client.post(
        "/staff/login", data={"email": "agent@shop.example", "password": "nope", "_csrf_token": token}
    )
    assert response.status_code == 400
    assert "don&#39;t match" in response.text
    assert (await client.get("/staff", follow_redirects=False)).status_code == 303


async def test_login_without_csrf_token_is_refused(client, session, site):
    await add_staff(session, "agent@shop.example", "agent", [site])
    await client.get("/staff/login")
    response = await client.post(
        "/staff/login", data={"email": "agent@shop.example", "password": "correct horse battery"}
    )
    assert response.status_code == 403


async def test_queue_lists_the_clock_nearest_to_breach_first(client, session, site, make_report):
    await add_staff(session, "agent@shop.example", "agent", [site])
    for description in ("first one", "second one", "third one"):
        await make_report(site, description=description)
    await login(client, "agent@shop.example")
    assert texts((await client.get("/staff")).text, QUEUED) == ["first one", "second one", "third one"]


async def test_htmx_filter_swaps_only_the_rows(client, session, site, make_report):
    await add_staff(session, "agent@shop.example", "agent", [site])
    await make_report(site, category="billing", description="charged twice")
    await make_report(site, category="delivery", description="late parcel")
    await login(client, "agent@shop.example")
    response = await client.get("/staff?category=billing", headers={"HX-Request": "true", "HX-Target": "queue-rows"})
    assert "<html" not in response.text
    assert "<table>" in response.text
    assert texts(response.text, QUEUED) == ["charged twice"]
    by_state = await client.get("/staff?state=closed", headers={"HX-Request": "true", "HX-Target": "queue-rows"})
    assert "No reports match" in by_state.text
    # The form sends every select; "Any" is an empty value, not an error.
    everything = await client.get(
        "/staff?site=&category=&state=&level=", headers={"HX-Request": "true", "HX-Target": "queue-rows"}
    )
    assert everything.status_code == 200
    assert sorted(texts(everything.text, QUEUED)) == ["charged twice", "late parcel"]


async def test_staff_never_see_another_sites_reports(client, session, site, other_site, make_report):
    await add_staff(session, "agent@shop.example", "agent", [site])
    await make_report(site, description="ours")
    theirs = await make_report(other_site, description="theirs")
    await login(client, "agent@shop.example")
    html = (await client.get("/staff")).text
    assert texts(html, QUEUED) == ["ours"]
    assert "theirs" not in html
    asked_for_theirs = (await client.get(f"/staff?site={other_site.id}")).text
    assert texts(asked_for_theirs, QUEUED) == ["ours"]  # asking for the other site shows only ours
    assert "theirs" not in asked_for_theirs
    assert (await client.get(f"/staff/reports/{theirs.id}", headers={"accept": "text/html"})).status_code == 404


async def test_admin_sees_every_site(client, session, site, other_site, make_report):
    await add_staff(session, "admin@mend.example", "admin", [])
    await make_report(site, description="ours")
    await make_report(other_site, description="theirs")
    await login(client, "admin@mend.example")
    assert sorted(texts((await client.get("/staff")).text, QUEUED)) == ["ours", "theirs"]


async def test_report_page_shows_all_captured_context(client, session, site, make_report):
    site.languages = ["en", "fr"]
    await session.commit()
    await add_staff(session, "agent@shop.example", "agent", [site])
    report = await make_report(
        site,
        headers={"user-agent": "Mozilla/5.0 (Mend test)"},
        page_url="https://shop.example/checkout",
        busy=93,
        location="North",
        tz_offset_min=-300,
        lang="fr-CA",
        viewport="1280x720",
        email="c@example.com",
        name="Chloé",
        referrer="https://search.example/q",
    )
    await login(client, "agent@shop.example")
    html = (await client.get(f"/staff/reports/{report.id}")).text
    for expected in (
        "https://shop.example/checkout",
        "93 / 100",
        "North",
        "Français (fr)",
        "1280x720",
        "Chloé",
        "c@example.com",
        "UTC-5",
        "https://search.example/q",
        "Mozilla/5.0 (Mend test)",
    ):
        assert expected in html, expected


async def test_a_busy_hour_counted_to_its_cap_says_so(client, session, site, make_report):
    await add_staff(session, "agent@shop.example", "agent", [site])
    quiet = await make_report(site)
    busy = await make_report(site)
    busy.site_reports_last_hour = SITE_HOUR_CAP  # intake stops counting there
    await session.commit()
    await login(client, "agent@shop.example")
    assert f">{SITE_HOUR_CAP}+<" in (await client.get(f"/staff/reports/{busy.id}")).text
    assert f">{quiet.site_reports_last_hour}<" in (await client.get(f"/staff/reports/{quiet.id}")).text


async def test_customer_text_is_escaped_in_the_queue(client, session, site, make_report):
    await add_staff(session, "agent@shop.example", "agent", [site])
    await make_report(site, description="<script>alert(1)</script>", name="<img src=x onerror=alert(2)>")
    await login(client, "agent@shop.example")
    html = (await client.get("/staff")).text
    assert "<script>alert(1)</script>" not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


async def test_logout_needs_the_csrf_token_and_ends_the_session(client, session, site):
    await add_staff(session, "agent@shop.example", "agent", [site])
    await login(client, "agent@shop.example")
    assert (await client.post("/staff/logout")).status_code == 403
    token = csrf_token((await client.get("/staff")).text)
    assert (await client.post("/staff/logout", data={"_csrf_token": token}, follow_redirects=False)).status_code == 303
    assert (await client.get("/staff", follow_redirects=False)).status_code == 303


async def test_mail_page_is_the_dev_mailbox_without_smtp(client, session, sessionmaker, site, settings, make_report):
    await add_staff(session, "agent@shop.example", "agent", [site])
    await make_report(site, email="reader@example.com", description="lost parcel")
    await login(client, "agent@shop.example")
    waiting = one((await client.get("/staff/mail")).text, '[data-testid="mail-row"] a')
    assert text(waiting) == "(written when it is sent)"  # the apology, until the worker writes it
    unwritten = (await client.get(str(waiting["href"]))).text
    assert "it has no words yet" in text_of(unwritten, '[data-testid="mail-unwritten"]')
    await Worker(settings, sessionmaker, Mail.from_settings(settings)).run_once()
    html = (await client.get("/staff/mail")).text
    assert text_of(html, "h1") == "Dev mailbox"
    [row] = every(html, '[data-testid="mail-row"]')
    assert "<reader@example.com>" in text(row)
    assert text_of(row, ".badge") == "kept in the dev mailbox (not sent)"
    message = (await client.get(str(one(row, 'a[href^="/staff/mail/"]')["href"]))).text
    assert "lost parcel" in message
    assert "/s/" in message
