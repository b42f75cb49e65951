"""The queue folds one customer's reports into one row, keeps its order, and acts on a folded row as a whole."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

from sqlalchemy import select

from portal.mail import Mail
from portal.models import Report, utcnow
from portal.services import conversation, queue
from tests.conftest import add_staff, csrf_token, login, signed_as
from tests.html import every, one, text, text_of, texts

ROWS = '[data-testid="queue-row"]'


async def folded(session, site) -> list[list[str]]:
    page = await queue.list_reports(session, [site.id], queue.QueueFilter())
    return [[r.description for r in row] for row in page.rows]


async def test_one_customers_reports_fold_into_the_place_of_their_most_urgent(
    session, settings, site, other_site, make_report
):
    start = utcnow() - timedelta(minutes=10)
    await make_report(site, at=start, description="anonymous, oldest clock")
    for n in range(5):  # the fourth and fifth put the customer at churn risk: the folded row jumps to the top
        await make_report(site, at=start + timedelta(minutes=1 + n), description=f"same {n}", email="Sam@example.com")
    await make_report(site, at=start + timedelta(minutes=7), description="Ria once", email="ria@example.com")
    await make_report(other_site, at=start, description="same customer, other site", email="sam@example.com")
    assert await folded(session, site) == [
        ["same 3", "same 4", "same 2", "same 0", "same 1"],  # churn risk, at risk, the rest; nearest clock first
        ["anonymous, oldest clock"],
        ["Ria once"],
    ]

    # A recovered report leaves the open pile: a bulk action on it must not touch finished work.
    fixed = await session.scalar(select(Report).where(Report.description == "same 0"))
    staff = await add_staff(session, "agent@shop.example", "agent", [site])
    await conversation.change_state(
        session, report=fixed, staff=staff, target="fixed", mail=Mail.from_settings(settings)
    )
    assert (await folded(session, site))[0] == ["same 3", "same 4", "same 2", "same 1"]
    assert (await folded(session, site))[-1] == ["same 0"]


async def test_reports_without_a_known_customer_are_never_folded(session, site, make_report):
    start = utcnow() - timedelta(minutes=10)
    for n in range(3):
        await make_report(site, at=start + timedelta(minutes=n), description="The parcel came two days late.")
    assert await folded(session, site) == [["The parcel came two days late."]] * 3


async def test_the_folded_row_counts_links_every_report_and_a_bulk_action_takes_them_all(
    client, session, site, make_report
):
    start = utcnow() - timedelta(minutes=10)
    reports = [
        await make_report(
            site,
            at=start + timedelta(minutes=n),
            description="Checkout button does nothing",
            **signed_as(site, "cust-7"),
        )
        for n in range(5)
    ]
    alone = await make_report(site, at=start + timedelta(minutes=6), description="late parcel")
    await add_staff(session, "agent@shop.example", "agent", [site])
    await login(client, "agent@shop.example")
    html = (await client.get("/staff")).text

    rows = every(html, ROWS)
    assert [text_of(row, "td.desc") for row in rows] == ["Checkout button does nothing", "late parcel"]
    group = rows[0]
    assert text_of(group, '[data-testid="group-count"]') == "×5"
    assert sorted(a["href"] for a in group.select('[data-testid="group-member"] a')) == sorted(
        f"/staff/reports/{r.id}" for r in reports if r is not reports[3]
    )
    # The first report at churn risk leads (the fourth: the fifth is at churn risk too, with a later clock).
    assert one(group, "[data-row-link]")["href"] == f"/staff/reports/{reports[3].id}"
    assert one(group, 'a[href^="/staff/customers/"]')["href"] == f"/staff/customers/{site.id}?key={quote('id:cust-7')}"
    assert every(rows[1], '[data-testid="group"]') == []

    box = one(group, 'input[name="ids"]')
    assert "and this customer's 4 other reports" in box["aria-label"]
    response = await client.post(
        "/staff/reports/bulk",
        data={"ids": [box["value"]], "action": "acknowledge", "_csrf_token": csrf_token(html)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    states = dict(
        (await session.execute(select(Report.id, Report.state).execution_options(populate_existing=True))).all()
    )
    assert [states[r.id] for r in reports] == ["acknowledged"] * 5
    assert states[alone.id] == "new"


async def test_overdue_and_at_risk_look_different_and_say_so(client, session, site, make_report):
    await make_report(site, at=utcnow() - timedelta(hours=1), description="waited an hour")
    for _ in range(3):
        await make_report(site, description="third strike", **signed_as(site, "cust-8"))
    await add_staff(session, "agent@shop.example", "agent", [site])
    await login(client, "agent@shop.example")
    html = (await client.get("/staff")).text
    at_risk = one(html, '[data-testid="repeat-level"].at-risk')
    overdue = one(html, '[data-testid="clock"].overdue')
    assert text(at_risk) == "at risk"
    assert "overdue by" in text(overdue)
    assert set(at_risk["class"]) & set(overdue["class"]) == {"badge"}  # nothing shared but the badge shape
    assert every(html, '[data-testid="clock"].overdue') == [overdue]  # clocks still running are not marked


async def test_an_empty_queue_says_what_will_appear_and_how_an_admin_gets_the_first_report(client, session, site):
    await add_staff(session, "admin@shop.example", "admin", [])
    await add_staff(session, "agent@shop.example", "agent", [site])
    await login(client, "admin@shop.example")
    admin_view = (await client.get("/staff")).text
    assert text_of(admin_view, '[data-testid="queue-empty"] h2') == "No reports yet"
    assert one(admin_view, '[data-testid="queue-empty"] a.button')["href"] == "/staff/sites"
    assert every(admin_view, "#bulk-form") == []

    filtered = (await client.get("/staff?state=closed")).text
    assert "No reports match these filters." in text_of(filtered, '[data-testid="queue-empty"]')

    await client.post("/staff/logout", data={"_csrf_token": csrf_token(admin_view)})
    await login(client, "agent@shop.example")
    agent_view = (await client.get("/staff")).text
    assert texts(agent_view, '[data-testid="queue-empty"] h2') == ["No reports yet"]
    assert every(agent_view, '[data-testid="queue-empty"] a[href="/staff/sites"]') == []
