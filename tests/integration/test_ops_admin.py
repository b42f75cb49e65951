"""Operations and admin pages say what is true: mail kept in the dev mailbox is not "sent", budgets
without a limit do not read like a limit of 0, an empty template editor is not scolded, the site secret
waits to be revealed, the mail's HTML gets its own CSP, and empty lists say what will appear."""

from __future__ import annotations

from sqlalchemy import select

from portal.mail import Mail
from portal.models import OutboxMail
from portal.services.sites import site_by_id
from portal.services.staff import set_on_duty
from portal.worker import Worker
from tests.conftest import add_staff, as_admin, csrf_token, login, make_settings
from tests.html import every, one, soup, text, text_of, texts
from tests.smtp import SmtpServer


async def test_dev_mailbox_mail_reads_kept_not_sent_and_really_sent_mail_reads_sent(
    client, session, sessionmaker, settings, database_url, site, make_report
):
    await add_staff(session, "agent@shop.example", "agent", [site])
    kept = await make_report(site, email="kept@example.com")
    await Worker(settings, sessionmaker, Mail.from_settings(settings)).run_once()  # no SMTP: the dev mailbox
    await make_report(site, email="sent@example.com")
    smtp = SmtpServer()
    smtp.start()
    try:
        with_smtp = make_settings(database_url, smtp_url=smtp.url)
        await Worker(with_smtp, sessionmaker, Mail.from_settings(with_smtp)).run_once()
    finally:
        smtp.stop()
    await login(client, "agent@shop.example")
    page = (await client.get("/staff/mail")).text
    states = {
        text(row.select("td")[1]).split("<")[-1].rstrip(">"): text_of(row, '[data-testid="mail-state"]')
        for row in every(page, '[data-testid="mail-row"]')
    }
    assert states == {"kept@example.com": "kept in the dev mailbox (not sent)", "sent@example.com": "sent"}
    kept_mail = await session.scalar(select(OutboxMail).where(OutboxMail.report_id == kept.id))
    message = (await client.get(f"/staff/mail/{kept_mail.id}")).text
    assert text_of(message, '[data-testid="mail-state"]') == "kept in the dev mailbox (not sent)"


async def test_the_mail_html_is_framed_from_its_own_address_under_a_csp_that_allows_only_inline_styles(
    client, session, sessionmaker, settings, site, other_site, make_report
):
    await add_staff(session, "agent@shop.example", "agent", [site])
    await add_staff(session, "elsewhere@other.example", "agent", [other_site])
    report = await make_report(site, email="c@example.com")
    await Worker(settings, sessionmaker, Mail.from_settings(settings)).run_once()  # writes the apology
    mail = await session.scalar(select(OutboxMail).where(OutboxMail.report_id == report.id))
    await login(client, "agent@shop.example")
    page = await client.get(f"/staff/mail/{mail.id}")
    frame = one(page.text, 'iframe[data-testid="mail-html"]')
    assert frame["src"] == f"/staff/mail/{mail.id}/html"
    assert frame.has_attr("sandbox")
    assert not frame.has_attr("srcdoc")
    assert "style-src 'self';" in page.headers["content-security-policy"]  # the staff page stays strict

    html = await client.get(f"/staff/mail/{mail.id}/html")
    assert html.status_code == 200
    assert html.text == mail.html_body
    csp = [d.strip() for d in html.headers["content-security-policy"].split(";")]
    assert "style-src 'unsafe-inline'" in csp
    assert "sandbox" in csp
    assert "default-src 'none'" in csp
    assert not any(d.startswith("script-src") for d in csp)

    await client.post("/staff/logout", data={"_csrf_token": csrf_token(page.text)})
    await login(client, "elsewhere@other.example")
    assert (await client.get(f"/staff/mail/{mail.id}/html")).status_code == 404


async def test_budgets_without_a_limit_never_read_like_a_limit_of_zero(client, session, site, make_report):
    report = await make_report(site, email="c@example.com")
    await as_admin(client, session)
    budget = text_of((await client.get(f"/staff/reports/{report.id}")).text, '[data-testid="budget"]')
    assert "standard: no limit" in budget
    assert "(no limit)" not in budget
    assert " 0 " not in budget
    await add_staff(session, "agent@shop.example", "agent", [site])
    await login(client, "agent@shop.example")
    budget = text_of((await client.get(f"/staff/reports/{report.id}")).text, '[data-testid="budget"]')
    assert "standard 0 of 10" in budget


async def test_an_empty_template_editor_shows_nothing_until_something_is_typed(client, session, site):
    token = await as_admin(client, session)
    page = (await client.get(f"/staff/sites/{site.id}/templates")).text
    assert "Write the apology first." not in page
    empty = await client.post(
        f"/staff/sites/{site.id}/templates/preview",
        data={"body": "  ", "_csrf_token": token},
        headers={"HX-Request": "true"},
    )
    assert text(soup(empty.text)) == ""
    typed = await client.post(
        f"/staff/sites/{site.id}/templates/preview",
        data={"body": "Hi {nmae}", "_csrf_token": token},
        headers={"HX-Request": "true"},
    )
    assert "nmae" in text_of(typed.text, '[role="alert"]')
    refused = await client.post(
        f"/staff/sites/{site.id}/templates", data={"body": "", "action": "draft", "_csrf_token": token}
    )
    assert refused.status_code == 422
    assert "Write the apology first." in refused.text


async def test_the_site_secret_waits_behind_reveal_with_a_copy_button(client, session, site):
    await as_admin(client, session)
    page = (await client.get(f"/staff/sites/{site.id}")).text
    reveal = one(page, 'details[data-testid="secret-reveal"]')
    assert not reveal.has_attr("open")
    assert text_of(reveal, "summary") == "Reveal the secret"
    assert text_of(reveal, '[data-testid="secret"]') == site.secret
    assert one(reveal, "button[data-copy]")["data-copy"] == one(reveal, '[data-testid="secret"]')["id"]
    assert page.count(site.secret) == 1
    assert one(page, 'script[src="/static/js/copy.js"]')


async def test_the_first_run_checklist_ticks_from_real_data_and_goes_away_when_done(
    client, session, settings, make_report
):
    token = await as_admin(client, session)

    async def steps(path: str = "/staff/sites") -> dict[str, bool]:
        page = (await client.get(path)).text
        return {li["data-step"]: li["data-done"] == "true" for li in every(page, '[data-testid="first-run-step"]')}

    assert await steps() == dict.fromkeys(("site", "origins", "snippet", "team", "duty", "report"), False)
    created = await client.post(
        "/staff/sites",
        data={
            "_csrf_token": token,
            "name": "Shop",
            "allowed_origins": "https://shop.example",
            "categories": "delivery: Late delivery",
            "signer_name": "Dana",
            "repeat_window_days": "90",
            "first_response_minutes": "20",
            "recovery_hours": "24",
            "follow_up_hours": "4",
            "max_reports_per_minute": "120",
            "languages": "en",
            "default_language": "en",
        },
        follow_redirects=False,
    )
    assert created.status_code == 303, created.text
    assert list((await steps()).values()) == [True, True, False, False, False, False]
    site = await site_by_id(session, int(created.headers["location"].rsplit("/", 1)[1]))
    await make_report(site, description="Typed on the portal's own form")  # a test report, not from their pages
    assert (await steps())["report"]
    assert not (await steps())["snippet"]
    await make_report(site, page_url="https://shop.example/orders/7")
    assert (await steps())["snippet"]
    agent = await add_staff(session, "agent@shop.example", "agent", [site])
    await set_on_duty(session, agent, True)
    assert (await steps("/staff")) == {}  # all done: gone from the queue
    assert not every((await client.get("/staff/sites")).text, '[data-testid="first-run"]')


async def test_the_checklist_is_for_admins_and_shows_on_the_queue(client, session, site):
    await as_admin(client, session)
    queue = (await client.get("/staff")).text
    assert texts(queue, '[data-testid="first-run-step"][data-done="false"] a') == [
        "Paste the snippet into your pages",
        "Invite your team",
        "Set who is on duty",
        "Send a test report",
    ]
    await add_staff(session, "lead@shop.example", "lead", [site])
    await login(client, "lead@shop.example")
    assert not every((await client.get("/staff")).text, '[data-testid="first-run"]')


async def test_empty_lists_say_what_will_appear_there(client, session, site):
    await add_staff(session, "agent@shop.example", "agent", [site])
    await login(client, "agent@shop.example")
    tasks = text_of((await client.get("/staff/tasks")).text, '[data-testid="empty-state"]')
    assert "Tasks appear here by themselves" in tasks
    results = (await client.get("/staff/results")).text
    assert "The first results arrive on the first of next month" in text_of(results, '[data-testid="empty-state"]')
    assert "First follow-up on time" in text_of(results, '[data-testid="result-sample"]')
    mail = text_of((await client.get("/staff/mail")).text, '[data-testid="empty-state"]')
    assert mail.startswith("No mail yet.")
    cas = text_of((await client.get("/staff/cas")).text, '[data-testid="empty-state"]')
    assert cas.startswith("No corrective actions yet.")
