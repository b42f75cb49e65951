"""Staff sign-in, the queue with its htmx filters, report pages and the mail page."""

from __future__ import annotations

import re

from portal.outbox import deliver_due_mail
from tests.conftest import add_staff, csrf_token, login, report_body


async def post_report(client, site, **fields) -> dict:
    response = await client.post(
        "/api/v1/reports", json=report_body(site, **fields), headers={"user-agent": "Mozilla/5.0 (Mend test)"}
    )
    assert response.status_code == 201, response.text
    return response.json()


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


async def test_queue_lists_the_clock_nearest_to_breach_first(client, session, site):
    await add_staff(session, "agent@shop.example", "agent", [site])
    for text in ("first one", "second one", "third one"):
        await post_report(client, site, description=text)
    await login(client, "agent@shop.example")
    html = (await client.get("/staff")).text
    assert html.index("first one") < html.index("second one") < html.index("third one")


async def test_htmx_filter_swaps_only_the_rows(client, session, site):
    await add_staff(session, "agent@shop.example", "agent", [site])
    await post_report(client, site, category="billing", description="charged twice")
    await post_report(client, site, category="delivery", description="late parcel")
    await login(client, "agent@shop.example")
    response = await client.get("/staff?category=billing", headers={"HX-Request": "true", "HX-Target": "queue-rows"})
    assert "<html" not in response.text
    assert "<table>" in response.text
    assert "charged twice" in response.text
    assert "late parcel" not in response.text
    by_state = await client.get("/staff?state=closed", headers={"HX-Request": "true", "HX-Target": "queue-rows"})
    assert "No reports match" in by_state.text
    # The form sends every select; "Any" is an empty value, not an error.
    everything = await client.get(
        "/staff?site=&category=&state=&level=", headers={"HX-Request": "true", "HX-Target": "queue-rows"}
    )
    assert everything.status_code == 200
    assert "charged twice" in everything.text
    assert "late parcel" in everything.text


async def test_staff_never_see_another_sites_reports(client, session, site, other_site):
    await add_staff(session, "agent@shop.example", "agent", [site])
    await post_report(client, site, description="ours")
    await post_report(client, other_site, description="theirs")
    await login(client, "agent@shop.example")
    html = (await client.get("/staff")).text
    assert "ours" in html
    assert "theirs" not in html
    other_id = re.findall(r"/staff/reports/(\d+)", (await client.get(f"/staff?site={other_site.id}")).text)
    assert "theirs" not in (await client.get(f"/staff?site={other_site.id}")).text
    assert other_id == re.findall(r"/staff/reports/(\d+)", html)  # asking for the other site shows only ours
    ids = sorted(int(i) for i in re.findall(r"/staff/reports/(\d+)", html))
    assert (await client.get(f"/staff/reports/{ids[0] + 1}", headers={"accept": "text/html"})).status_code == 404


async def test_admin_sees_every_site(client, session, site, other_site):
    await add_staff(session, "admin@mend.example", "admin", [])
    await post_report(client, site, description="ours")
    await post_report(client, other_site, description="theirs")
    await login(client, "admin@mend.example")
    html = (await client.get("/staff")).text
    assert "ours" in html
    assert "theirs" in html


async def test_report_page_shows_all_captured_context(client, session, site):
    await add_staff(session, "agent@shop.example", "agent", [site])
    await post_report(
        client,
        site,
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
    report_id = re.search(r"/staff/reports/(\d+)", (await client.get("/staff")).text).group(1)
    html = (await client.get(f"/staff/reports/{report_id}")).text
    for expected in (
        "https://shop.example/checkout",
        "93 / 100",
        "North",
        "fr-CA",
        "1280x720",
        "Chloé",
        "c@example.com",
        "UTC-5",
        "https://search.example/q",
        "Mozilla/5.0 (Mend test)",
    ):
        assert expected in html, expected


async def test_customer_text_is_escaped_in_the_queue(client, session, site):
    await add_staff(session, "agent@shop.example", "agent", [site])
    await post_report(client, site, description="<script>alert(1)</script>", name="<img src=x onerror=alert(2)>")
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


async def test_mail_page_is_the_dev_mailbox_without_smtp(client, session, sessionmaker, site, settings):
    await add_staff(session, "agent@shop.example", "agent", [site])
    await post_report(client, site, email="reader@example.com", description="lost parcel")
    await deliver_due_mail(sessionmaker, None, mail_from=settings.mail_from, max_attempts=3, backoff_seconds=1)
    await login(client, "agent@shop.example")
    html = (await client.get("/staff/mail")).text
    assert "Dev mailbox" in html
    assert "reader@example.com" in html
    assert ">sent<" in html
    mail_id = re.search(r"/staff/mail/(\d+)", html).group(1)
    message = (await client.get(f"/staff/mail/{mail_id}")).text
    assert "lost parcel" in message
    assert "/s/" in message
