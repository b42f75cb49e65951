"""The panel page behind the widget (htmx and no-JS) and the customer's status page."""

from __future__ import annotations

from sqlalchemy import func, select

from portal.domain.identity import sign_customer
from portal.domain.sites import DEFAULT_NO_BLAME_TEXT
from portal.models import Report
from tests.conftest import BASE_URL, SITE_ORIGIN
from tests.html import every, one, text_of, texts

HTMX = {"HX-Request": "true", "HX-Target": "panel", "origin": BASE_URL}


async def stored(session) -> int:
    return await session.scalar(select(func.count()).select_from(Report))


async def test_panel_says_no_blame_and_offers_the_sites_categories(client, site):
    response = await client.get(f"/w/{site.key}?embed=1&page_url=https://shop.example/basket&busy=40")
    assert response.status_code == 200
    html = response.text
    assert text_of(html, ".no-blame") == DEFAULT_NO_BLAME_TEXT
    offered = [radio["value"] for radio in every(html, 'input[name="category"]')]
    assert offered == [category["slug"] for category in site.categories]
    assert one(html, 'input[name="page_url"]')["value"] == "https://shop.example/basket"
    assert one(html, 'input[name="busy"]')["value"] == "40"
    assert one(html, "input#email")  # anonymous: the customer may give an email


async def test_only_the_sites_origins_may_frame_the_panel(client, site):
    csp = (await client.get(f"/w/{site.key}")).headers["content-security-policy"]
    assert "frame-ancestors 'self' https://shop.example" in csp
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp


async def test_unknown_site_panel_is_a_readable_404(client):
    response = await client.get("/w/site_missing", headers={"accept": "text/html"})
    assert response.status_code == 404
    assert "site key" in response.text
    assert "<html" in response.text


async def test_unsigned_identity_from_the_host_is_not_prefilled(client, site):
    html = (
        await client.get(f"/w/{site.key}?name=Mallory&email=mallory@example.com&customer_id=c1&customer_sig={'0' * 64}")
    ).text
    assert "Mallory" not in html
    assert "mallory@example.com" not in html


async def test_signed_identity_replaces_the_email_field(client, site):
    sig = sign_customer(site.secret, "cust-1")
    html = (
        await client.get(f"/w/{site.key}?customer_id=cust-1&customer_sig={sig}&name=Alex+Morgan&email=alex@example.com")
    ).text
    assert 'id="email"' not in html
    assert "We'll reply to alex@example.com." in texts(html, "p.muted")


async def test_a_signed_tier_keeps_the_identity_and_reaches_the_report(client, session, site):
    sig = sign_customer(site.secret, "cust-2", "elevated")
    query = f"customer_id=cust-2&customer_tier=elevated&customer_sig={sig}&name=Alex+Morgan&email=alex@example.com"
    html = (await client.get(f"/w/{site.key}?{query}")).text
    assert "We'll reply to alex@example.com." in texts(html, "p.muted")
    assert 'name="customer_tier" value="elevated"' in html
    form = {
        "category": "website",
        "description": "It hung.",
        "customer_id": "cust-2",
        "customer_tier": "elevated",
        "customer_sig": sig,
        "name": "Alex Morgan",
        "email": "alex@example.com",
    }
    response = await client.post(f"/w/{site.key}", data=form, headers=HTMX)
    assert response.status_code == 201
    assert "Could we do something small" in response.text
    report = await session.scalar(select(Report))
    assert (report.identity_verified, report.customer_tier) == (True, 2)


async def test_htmx_submit_shows_the_apology_in_the_panel(client, session, site):
    form = {
        "category": "billing",
        "description": "Charged twice for one order",
        "name": "Sam Lee",
        "email": "sam@example.com",
        "embed": "1",
    }
    response = await client.post(f"/w/{site.key}", data=form, headers=HTMX)
    assert response.status_code == 201
    assert "<html" not in response.text  # a partial for the panel, not a page
    assert "Thank you, Sam" in response.text
    assert "Charged twice for one order" in response.text
    assert "Dana Whitfield, Head of Care" in response.text
    assert await stored(session) == 1
    report = await session.scalar(select(Report))
    assert len(report.status_token) == 32
    assert f"{BASE_URL}/s/{report.status_token}" in [link["href"] for link in every(response.text, "a[href]")]


async def test_htmx_invalid_submit_keeps_what_was_typed_and_says_why(client, session, site):
    form = {"category": "billing", "description": "It double charged me", "email": "sam@", "name": "Sam"}
    response = await client.post(f"/w/{site.key}", data=form, headers=HTMX)
    assert response.status_code == 400
    assert text_of(response.text, "textarea#description") == "It double charged me"
    assert one(response.text, "input#email")["value"] == "sam@"
    assert one(response.text, 'input[name="category"][value="billing"]').has_attr("checked")
    assert "doesn't look like an email address" in text_of(response.text, "#email-error")
    assert one(response.text, "input#email")["aria-invalid"] == "true"
    assert await stored(session) == 0


async def test_flooded_panel_keeps_the_text_and_says_how_long_to_wait(client, session, site):
    form = {"category": "website", "description": "Checkout hung"}
    for _ in range(5):
        assert (await client.post(f"/w/{site.key}", data=form, headers=HTMX)).status_code == 201
    response = await client.post(f"/w/{site.key}", data={**form, "description": "Sixth try"}, headers=HTMX)
    assert response.status_code == 429
    assert response.headers["retry-after"]
    assert text_of(response.text, "textarea#description") == "Sixth try"
    assert "wait" in text_of(response.text, "#panel-status")


async def test_panel_refuses_a_post_from_a_foreign_page(client, session, site):
    response = await client.post(
        f"/w/{site.key}", data={"description": "x"}, headers={**HTMX, "origin": "https://evil.example"}
    )
    assert response.status_code == 403
    assert "does not accept reports from https://evil.example" in response.text
    assert await stored(session) == 0


async def test_without_javascript_the_form_posts_and_redirects_to_the_status_page(client, session, site):
    page = await client.get(f"/w/{site.key}")
    assert f'method="post" action="/w/{site.key}"' in page.text
    response = await client.post(
        f"/w/{site.key}",
        data={"category": "delivery", "description": "No-JS report"},
        headers={"origin": BASE_URL},
        follow_redirects=False,
    )
    assert response.status_code == 303
    status = await client.get(response.headers["location"])
    assert status.status_code == 200
    assert "No-JS report" in status.text
    assert "What happens next" in status.text


async def test_a_native_post_from_the_widgets_frame_answers_with_the_apology_in_the_panel(client, session, site):
    # Send pressed before htmx is ready: the status page may not be framed, so the frame gets the panel.
    response = await client.post(
        f"/w/{site.key}",
        data={"category": "delivery", "description": "Too quick for htmx", "embed": "1"},
        headers={"origin": BASE_URL},
        follow_redirects=False,
    )
    assert response.status_code == 201
    assert text_of(response.text, '[data-testid="apology"]')
    assert f"frame-ancestors 'self' {SITE_ORIGIN}" in response.headers["content-security-policy"]
    assert await stored(session) == 1


async def test_status_page_escapes_customer_text_and_stays_private(client, site, make_report):
    payload = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    report = await make_report(site, description=payload, name="<b>Eve</b>", headers={"origin": SITE_ORIGIN})
    response = await client.get(f"/s/{report.status_token}")
    assert response.status_code == 200
    assert text_of(response.text, '[data-testid="description"]') == payload  # shown as typed
    assert "<script>alert" not in response.text
    assert "<img src=x" not in response.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in response.text
    assert "<b>Eve</b>" not in response.text
    assert response.headers["cache-control"] == "private, no-store"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


async def test_unknown_status_token_is_404(client):
    assert (await client.get("/s/not-a-real-token", headers={"accept": "text/html"})).status_code == 404
