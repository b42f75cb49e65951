"""A site's own apology templates: previewed, linted, published only when clean, then used."""

from __future__ import annotations

import os
import time

from jinja2 import FileSystemLoader
from sqlalchemy import select

from portal.app import create_app
from portal.models import ApologyTemplate
from tests.conftest import add_staff, as_admin, login, make_settings
from tests.html import text_of

CLEAN = "Hi {name}, I'm sorry: {category} is on us, not you. You told us: {quote}. We're fixing it now."
DEFENSIVE = "Hi {name}, as stated in our policy, deliveries can take a week. Sorry for any inconvenience."


async def test_live_preview_shows_the_letter_and_the_findings(client, session, site):
    token = await as_admin(client, session)
    response = await client.post(
        f"/staff/sites/{site.id}/templates/preview",
        data={"body": DEFENSIVE, "_csrf_token": token},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "<html" not in response.text
    assert text_of(response.text, '[data-testid="template-sample"]').startswith("Hi Alex,")
    findings = text_of(response.text, '[data-testid="template-findings"]')
    assert findings.startswith("This can't be published yet:")
    assert "“our policy”" in findings
    assert "any inconvenience”" in findings


async def test_a_defensive_template_is_refused_with_the_explanation(client, session, site):
    token = await as_admin(client, session)
    response = await client.post(
        f"/staff/sites/{site.id}/templates", data={"body": DEFENSIVE, "action": "publish", "_csrf_token": token}
    )
    assert response.status_code == 422
    assert "Not published" in response.text
    assert "Quoting policy argues the case" in response.text
    assert await session.scalar(select(ApologyTemplate)) is None


async def test_a_published_template_is_used_for_its_category_and_a_draft_is_not(client, session, site, make_report):
    token = await as_admin(client, session)
    ok = await client.post(
        f"/staff/sites/{site.id}/templates",
        data={"category": "delivery", "body": CLEAN, "action": "publish", "_csrf_token": token},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    await client.post(
        f"/staff/sites/{site.id}/templates",
        data={"category": "billing", "body": "Draft {name}, I'm sorry.", "action": "draft", "_csrf_token": token},
    )
    delivery = (await make_report(site, name="Ana Lima", description="Parcel late")).receipt
    assert delivery["apology"]["text"].startswith("Hi Ana, I'm sorry: Late or missing delivery is on us")
    assert delivery["apology"]["text"].endswith("Dana Whitfield, Head of Care")
    billing = (await make_report(site, category="billing", description="Charged twice")).receipt
    assert not billing["apology"]["text"].startswith("Draft")


async def test_unknown_placeholders_are_refused_even_as_a_draft(client, session, site):
    token = await as_admin(client, session)
    response = await client.post(
        f"/staff/sites/{site.id}/templates", data={"body": "Hi {nmae}, sorry.", "action": "draft", "_csrf_token": token}
    )
    assert response.status_code == 422
    assert "Unknown placeholder {nmae}" in response.text


async def test_only_admins_edit_templates(client, session, site):
    await add_staff(session, "agent@shop.example", "agent", [site])
    await login(client, "agent@shop.example")
    assert (await client.get(f"/staff/sites/{site.id}/templates", headers={"accept": "text/html"})).status_code == 403


def test_outside_development_each_template_is_read_once(database_url, tmp_path):
    # In production no template file is looked at again once loaded (a stat() per mail and page under
    # load); in development an edited template shows at once.
    for environment, rereads in (("production", False), ("development", True)):
        env = create_app(make_settings(database_url, environment=environment)).state.mail.env
        env.loader = FileSystemLoader(tmp_path)
        (tmp_path / "note.txt").write_text("first")
        assert env.get_template("note.txt").render() == "first"
        (tmp_path / "note.txt").write_text("edited")
        os.utime(tmp_path / "note.txt", (time.time() + 5, time.time() + 5))  # a later mtime, however coarse
        assert env.get_template("note.txt").render() == ("edited" if rereads else "first")
