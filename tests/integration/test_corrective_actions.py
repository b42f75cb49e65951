"""Corrective actions end to end over HTTP: linking, the state rules, verification, closure mail and known issues."""

from __future__ import annotations

from datetime import timedelta
from email import message_from_bytes
from email.policy import default

from babel.dates import format_date
from sqlalchemy import func, select

from portal.mail import Mail
from portal.models import (
    CAEvent,
    CASuggestion,
    CorrectiveAction,
    MeToo,
    OutboxMail,
    Report,
    Staff,
    utcnow,
)
from portal.outbox import build_message
from portal.services import corrective_actions
from tests.conftest import add_staff, csrf_token, login
from tests.html import every, one, text_of, texts

EGGS = [
    "Half the eggs were broken when the bag arrived.",
    "Eggs cracked again, packed under the bottles.",
    "Three eggs broken in a box of six.",
]

# Where the reports in these tests come from: an order, about its page.
ORDER = {"category": "order", "page_url": "https://shop.example/orders/1234"}


async def as_lead(client, session, site) -> str:
    await add_staff(session, "lee@shop.example", "lead", [site])
    await login(client, "lee@shop.example")
    return csrf_token((await client.get("/staff/cas")).text)


async def new_ca(client, session, token, report) -> CorrectiveAction:
    response = await client.post(
        "/staff/cas",
        data={"report_id": report.id, "title": "Eggs arrive broken", "_csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303
    return await session.scalar(
        select(CorrectiveAction).where(CorrectiveAction.id == int(response.headers["location"].rsplit("/", 1)[1]))
    )


PLAN = {
    "title": "Eggs arrive broken",
    "problem": "Eggs arrive cracked because they are packed under heavy items.",
    "category": "order",
    "severity": "high",
    "within_control": "yes",
    "verification_days": "14",
    "whys": ["Packed under bottles", "Pickers pack in aisle order", "The picking app has no fragile-last rule"],
    "corrective_action": "Repack fragile items on top at dispatch.",
    "preventive_action": "A fragile-last rule in the picking app.",
    "closure_summary": "Our picking app now packs eggs and glass last, on top of everything else.",
}


async def save(client, ca, token, **changes):
    return await client.post(
        f"/staff/cas/{ca.id}",
        data={**PLAN, "owner_id": str(ca.owner_id or ""), **changes, "_csrf_token": token},
        follow_redirects=False,
    )


async def move(client, ca, token, state, **extra):
    return await client.post(
        f"/staff/cas/{ca.id}/state", data={"state": state, **extra, "_csrf_token": token}, follow_redirects=False
    )


async def under_verification(client, session, token, site, make_report) -> CorrectiveAction:
    """A CA for a broken-eggs report, planned and implemented by the signed-in lead: under verification."""
    ca = await new_ca(client, session, token, await make_report(site, **ORDER, description=EGGS[0]))
    await save(client, ca, token)
    await move(client, ca, token, "implemented")
    return ca


def moved(response, ca) -> bool:
    """A move that went through lands on the CA page itself."""
    return response.status_code == 303 and response.headers["location"] == f"/staff/cas/{ca.id}"


async def refusal(client, response) -> str:
    """A refused move goes back to the CA page set for that move (a page, not a POST): the error it shows there."""
    assert response.status_code == 303
    assert "?move=" in response.headers["location"]
    assert response.headers["location"].endswith("#move")
    return text_of((await client.get(response.headers["location"])).text, '[data-testid="state-error"]')


async def test_a_report_page_suggests_the_ca_it_belongs_to_and_siblings(client, session, site, make_report):
    token = await as_lead(client, session, site)
    first = await make_report(site, **ORDER, description=EGGS[0])
    await new_ca(client, session, token, first)
    second = await make_report(site, **ORDER, description=EGGS[1])
    await make_report(site, description="The search page says 0 results for milk.", **{**ORDER, "category": "website"})
    report_page = (await client.get(f"/staff/reports/{second.id}")).text
    # loaded after the page, so the page stays fast
    assert one(report_page, "#prevention")["data-hx-get"] == f"/staff/reports/{second.id}/prevention"
    page = (await client.get(f"/staff/reports/{second.id}/prevention", headers={"HX-Request": "true"})).text
    assert "<html" not in page
    without_js = (await client.get(f"/staff/reports/{second.id}/prevention")).text
    assert "<html" in without_js
    assert "Open a corrective action from this report" in without_js
    assert texts(page, '[data-testid="suggested-cas"] li > a') == ["Eggs arrive broken"]
    siblings = texts(page, '[data-testid="sibling-reports"] li > a')
    assert siblings[0] == first.ref  # the egg report first, the search report after it


async def test_a_ca_form_with_mistakes_is_shown_again_with_each_one(client, session, site, make_report):
    token = await as_lead(client, session, site)
    ca = await new_ca(client, session, token, await make_report(site, **ORDER, description=EGGS[0]))
    response = await save(client, ca, token, title="", due_on="soon", public="1", public_wording="")
    assert response.status_code == 400
    errors = text_of(response.text, '[data-testid="ca-errors"]')
    assert "Give the CA a title" in errors
    assert "YYYY-MM-DD" in errors
    assert one(response.text, "#due_on")["value"] == "soon"  # what was typed is kept
    await session.refresh(ca)
    assert ca.title == "Eggs arrive broken"
    known = await save(client, ca, token, public="1", public_wording="")
    assert known.status_code == 400
    assert "public wording" in text_of(known.text, '[data-testid="ca-errors"]')


async def test_an_agent_proposes_a_ca_but_only_leads_run_it(client, session, site, make_report):
    await add_staff(session, "agent@shop.example", "agent", [site])
    await login(client, "agent@shop.example")
    token = csrf_token((await client.get("/staff/cas")).text)
    report = await make_report(site, **ORDER, description=EGGS[0])
    ca = await new_ca(client, session, token, report)
    assert ca.owner_id is None
    assert ca.state == "open"
    assert (await move(client, ca, token, "investigating")).status_code == 403
    assert (await save(client, ca, token)).status_code == 403
    suggested = await client.post(
        f"/staff/cas/{ca.id}/suggestions",
        data={"body": "Pack eggs in their own bag.", "_csrf_token": token},
        follow_redirects=False,
    )
    assert suggested.status_code == 303  # anyone can suggest from the field


async def test_linking_from_the_queue_attaches_customer_ideas_which_a_lead_accepts_into_the_plan(
    client, session, site, make_report
):
    token = await as_lead(client, session, site)
    reports = [
        await make_report(site, **ORDER, description=text, suggestion="Put the eggs on top!" if i == 2 else None)
        for i, text in enumerate(EGGS)
    ]
    ca = await new_ca(client, session, token, reports[0])
    queue_page = (await client.get("/staff")).text
    assert "Link to this corrective action" in queue_page
    await client.post(
        "/staff/reports/bulk",
        data={"action": "link_ca", "ca_id": ca.id, "ids": [r.id for r in reports[1:]], "_csrf_token": token},
    )
    assert (await session.scalar(select(func.count()).where(Report.ca_id == ca.id))) == 3
    idea = await session.scalar(select(CASuggestion).where(CASuggestion.ca_id == ca.id))
    assert (idea.source, idea.body) == ("customer", "Put the eggs on top!")
    await client.post(f"/staff/cas/{ca.id}/suggestions/{idea.id}/accept", data={"_csrf_token": token})
    await session.refresh(ca)
    assert "- Put the eggs on top!" in ca.preventive_action
    page = (await client.get(f"/staff/cas/{ca.id}")).text
    assert len(every(page, '[data-testid="linked-report"]')) == 3
    assert text_of(page, '[data-testid="suggestion"] .badge') == "in the plan"


async def test_the_ca_walks_every_state_and_closing_mails_each_person_once(
    client, session, site, settings, make_report
):
    token = await as_lead(client, session, site)
    reports = [
        await make_report(site, **ORDER, description=EGGS[0], email="ana@example.com", name="Ana Ruiz"),
        await make_report(site, **ORDER, description=EGGS[1], email="ana@example.com", name="Ana Ruiz"),
        await make_report(site, **ORDER, description=EGGS[2], email="bo@example.com", name="Bo Chen"),
    ]
    ca = await new_ca(client, session, token, reports[0])
    await client.post(
        f"/staff/cas/{ca.id}/links", data={"refs": f"{reports[1].ref}, {reports[2].ref.lower()}", "_csrf_token": token}
    )
    assert (await save(client, ca, token, problem="", whys=[""], corrective_action="")).status_code == 303
    assert "a problem statement" in await refusal(client, await move(client, ca, token, "investigating"))
    assert (await save(client, ca, token, whys=[""], corrective_action="")).status_code == 303
    assert moved(await move(client, ca, token, "investigating"), ca)
    assert "root cause" in await refusal(client, await move(client, ca, token, "action_planned"))
    assert (await save(client, ca, token)).status_code == 303
    for state in ("action_planned", "implemented"):
        assert moved(await move(client, ca, token, state), ca)
    await session.refresh(ca)
    assert ca.state == "verifying"
    assert ca.verification_ends_at - ca.verification_started_at == timedelta(days=14)

    session.add(MeToo(ca_id=ca.id, email="cy@example.com"))
    await session.commit()
    assert "needs a reason" in await refusal(client, await move(client, ca, token, "closed"))
    closed = await move(
        client, ca, token, "closed", early_close_reason="The supplier changed the trays; no breakage since."
    )
    assert moved(closed, ca)
    await session.refresh(ca)
    assert ca.state == "closed"
    assert not ca.public

    mails = (
        await session.scalars(
            select(OutboxMail).where(OutboxMail.dedupe_key.like("closure:%")).order_by(OutboxMail.to_addr)
        )
    ).all()
    assert [m.to_addr for m in mails] == ["ana@example.com", "bo@example.com", "cy@example.com"]
    ana = mails[0].text_body
    assert format_date(reports[0].created_at, "long", locale="en") in ana
    assert "Half the eggs were broken" in ana
    assert "You told us once more since" in ana
    assert "Our picking app now packs eggs and glass last" in ana
    assert "Thank you for taking the time" in ana
    assert "days after the change" not in ana  # closed early: we don't claim a clean window
    assert "you had met this too" in mails[2].text_body
    message = message_from_bytes(build_message(mails[0], settings.mail_from), policy=default)
    assert message["List-Unsubscribe"] == f"<{mails[0].unsubscribe_url}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    status = (await client.get(f"/s/{reports[2].status_token}")).text
    closure = one(status, '[data-testid="closure"]')
    assert text_of(closure, "h2") == "What we changed"
    assert "packs eggs and glass last" in text_of(closure, "p:first-of-type")
    labels = [
        e.to_state
        for e in (await session.scalars(select(CAEvent).where(CAEvent.ca_id == ca.id, CAEvent.kind == "state"))).all()
    ]
    assert labels == ["open", "investigating", "action_planned", "implemented", "verifying", "closed"]


async def test_unsubscribing_stops_closure_mail_and_forged_links_do_nothing(
    client, session, site, settings, make_report
):
    token = await as_lead(client, session, site)
    report = await make_report(site, **ORDER, description=EGGS[0], email="ana@example.com")
    ca = await new_ca(client, session, token, report)
    await save(client, ca, token)
    await move(client, ca, token, "implemented")
    await move(client, ca, token, "closed", early_close_reason="Fixed at source.")
    link = await session.scalar(select(OutboxMail.unsubscribe_url).where(OutboxMail.dedupe_key.like("closure:%")))
    path = link.removeprefix(settings.base_url)
    assert "Unsubscribe" in (await client.get(path)).text
    assert "You're unsubscribed" in (await client.post(path)).text
    assert (await client.post(path[:-3] + "abc")).status_code == 404

    second = await make_report(site, **ORDER, description=EGGS[1], email="ana@example.com")
    again = await new_ca(client, session, token, second)
    await save(client, again, token)
    await move(client, again, token, "implemented")
    await move(client, again, token, "closed", early_close_reason="Fixed at source.")
    assert (
        await session.scalar(
            select(func.count()).select_from(OutboxMail).where(OutboxMail.dedupe_key.like("closure:%"))
        )
        == 1
    )


async def test_a_recurring_report_during_verification_reopens_the_ca_and_tells_the_owner(
    client, session, sessionmaker, site, settings, make_report
):
    token = await as_lead(client, session, site)
    ca = await under_verification(client, session, token, site, make_report)
    mail = Mail.from_settings(settings)
    assert await corrective_actions.verify(sessionmaker, mail=mail) == 0  # nothing new yet

    await make_report(site, description="Our search finds nothing for bread.", **{**ORDER, "category": "website"})
    assert await corrective_actions.verify(sessionmaker, mail=mail) == 0  # unrelated: the window stays clean
    recurring = await make_report(
        site, **ORDER, description="Eggs broken again, the box was packed under bottles of milk."
    )
    assert await corrective_actions.verify(sessionmaker, mail=mail, now=utcnow() + timedelta(seconds=1)) == 1
    await session.refresh(ca)
    assert ca.state == "reopened"
    evidence = await session.scalar(select(CAEvent).where(CAEvent.ca_id == ca.id, CAEvent.kind == "recurrence"))
    assert evidence.report_id == recurring.id
    told = await session.scalar(select(OutboxMail).where(OutboxMail.dedupe_key.like("ca_reopened:%")))
    assert told.to_addr == "lee@shop.example"
    assert "reopened" in told.subject
    page = (await client.get(f"/staff/cas/{ca.id}")).text
    assert f"Recurrence: a new report: “{recurring.description}”" in text_of(
        page, '[data-testid="ca-event-recurrence"]'
    )
    [reopening] = [e for e in texts(page, '[data-testid="ca-event-state"]') if "moved it to Reopened." in e]
    assert "looks like the same failure" in reopening


async def test_linking_a_report_made_during_verification_reopens_at_once(client, session, site, make_report):
    token = await as_lead(client, session, site)
    ca = await under_verification(client, session, token, site, make_report)
    late = await make_report(site, **ORDER, description="Jam jar smashed in the bag.")
    await client.post(f"/staff/cas/{ca.id}/links", data={"report_ids": late.id, "_csrf_token": token})
    await session.refresh(ca)
    assert ca.state == "reopened"


async def test_a_lead_linking_a_report_the_worker_already_reopened_the_ca_for_reopens_nothing_twice(
    client, session, sessionmaker, site, settings, make_report
):
    token = await as_lead(client, session, site)
    ca = await under_verification(client, session, token, site, make_report)
    recurring = await make_report(site, **ORDER, description="Eggs broken again, packed under bottles of milk.")
    mail = Mail.from_settings(settings)
    # The lead's request has read the CA, still verifying, when the worker spots the same report and reopens it.
    async with sessionmaker() as request:
        seen = await request.get(CorrectiveAction, ca.id)
        report = await request.get(Report, recurring.id)
        lead = await request.scalar(select(Staff).where(Staff.email == "lee@shop.example"))
        await request.commit()  # its connection back (SQLite has one); what it read stays as it was
        assert await corrective_actions.verify(sessionmaker, mail=mail, now=utcnow() + timedelta(seconds=1)) == 1
        assert seen.state == "verifying"
        assert await corrective_actions.link(request, seen, [report], lead, mail=mail) == 1  # no error: it links
    await session.refresh(ca)
    await session.refresh(recurring)
    assert (ca.state, recurring.ca_id) == ("reopened", ca.id)
    reopenings = await session.scalar(
        select(func.count()).select_from(CAEvent).where(CAEvent.ca_id == ca.id, CAEvent.to_state == "reopened")
    )
    told = await session.scalar(
        select(func.count()).select_from(OutboxMail).where(OutboxMail.dedupe_key.like("ca_reopened:%"))
    )
    assert (reopenings, told) == (1, 1)


async def test_a_known_issue_shows_in_the_panel_on_matching_pages_and_takes_me_too(client, session, site, make_report):
    token = await as_lead(client, session, site)
    ca = await new_ca(client, session, token, await make_report(site, **ORDER, description=EGGS[0]))
    await save(
        client,
        ca,
        token,
        public="1",
        public_wording="Some <b>egg</b> deliveries arrive cracked.",
        page_pattern="/orders/*",
    )
    on_orders = (await client.get(f"/w/{site.key}?page_url=https://shop.example/orders/77")).text
    assert "We know about this and we are on it" in on_orders
    assert "Some &lt;b&gt;egg&lt;/b&gt; deliveries" in on_orders
    elsewhere = (await client.get(f"/w/{site.key}?page_url=https://shop.example/search")).text
    assert "We know about this" not in elsewhere

    bad = await client.post(
        f"/w/{site.key}/known/{ca.id}", data={"email": "not-an-email"}, headers={"HX-Request": "true"}
    )
    assert bad.status_code == 400
    assert "email address" in bad.text
    for _ in range(2):
        ok = await client.post(
            f"/w/{site.key}/known/{ca.id}", data={"email": "Dee@Example.com"}, headers={"HX-Request": "true"}
        )
        assert ok.status_code == 200
        assert "We'll email you as soon as it's fixed" in ok.text
    assert (await session.scalars(select(MeToo.email))).all() == ["dee@example.com"]
    foreign = await client.post(
        f"/w/{site.key}/known/{ca.id}", data={"email": "x@example.com"}, headers={"Origin": "https://evil.example"}
    )
    assert foreign.status_code == 403
    for n in range(4):  # the limit is 5 a minute from one address (the first "me too" above counted)
        await client.post(
            f"/w/{site.key}/known/{ca.id}", data={"email": f"e{n}@example.com"}, headers={"HX-Request": "true"}
        )
    flood = await client.post(
        f"/w/{site.key}/known/{ca.id}", data={"email": "f@example.com"}, headers={"HX-Request": "true"}
    )
    assert flood.status_code == 429
    assert int(flood.headers["retry-after"]) > 0
    assert "Please wait" in flood.text
    assert await session.scalar(select(func.count()).select_from(MeToo)) == 5
    assert text_of((await client.get(f"/staff/cas/{ca.id}")).text, '[data-testid="me-too-count"]') == "5"

    await move(client, ca, token, "implemented")
    await move(client, ca, token, "closed", early_close_reason="Fixed.")
    assert "We know about this" not in (await client.get(f"/w/{site.key}?page_url=https://shop.example/orders/77")).text
    gone = await client.post(f"/w/{site.key}/known/{ca.id}", data={"email": "late@example.com"})
    assert gone.status_code == 404


async def test_the_board_moves_cards_with_htmx_and_says_what_is_missing(client, session, site, make_report):
    token = await as_lead(client, session, site)
    ca = await new_ca(client, session, token, await make_report(site, **ORDER, description=EGGS[0]))
    board = (await client.get("/staff/cas")).text
    assert texts(board, '[data-testid="column-open"] [data-testid="ca-card"] strong') == ["Eggs arrive broken"]
    headers = {"HX-Request": "true", "x-csrftoken": token}
    refused = await client.post(f"/staff/cas/{ca.id}/state", data={"state": "action_planned"}, headers=headers)
    assert refused.status_code == 400
    assert "<html" not in refused.text
    assert "root cause" in text_of(refused.text, '[data-testid="board-error"]')
    await save(client, ca, token, whys=[""], corrective_action="")
    moved = await client.post(f"/staff/cas/{ca.id}/state", data={"state": "investigating"}, headers=headers)
    assert moved.status_code == 200
    column = '[data-testid="column-investigating"] [data-testid="ca-card"] strong'
    assert texts(moved.text, column) == ["Eggs arrive broken"]


async def test_another_sites_lead_cannot_see_or_touch_the_ca(client, session, site, other_site, make_report):
    token = await as_lead(client, session, site)
    ca = await new_ca(client, session, token, await make_report(site, **ORDER, description=EGGS[0]))
    client.cookies.clear()
    await add_staff(session, "otto@other.example", "lead", [other_site])
    await login(client, "otto@other.example")
    token = csrf_token((await client.get("/staff/cas")).text)
    assert "Eggs arrive broken" not in (await client.get("/staff/cas")).text
    assert (await client.get(f"/staff/cas/{ca.id}")).status_code == 404
    assert (await move(client, ca, token, "investigating")).status_code == 404
