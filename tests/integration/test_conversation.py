"""Staff and customer talking through a report: states, updates (linted), replies, the wrap-up."""

from __future__ import annotations

import re

from sqlalchemy import select

from portal.models import OutboxMail, Report, ReportEvent
from tests.conftest import BASE_URL, add_staff, csrf_token, login
from tests.html import every, one, text_of, texts


async def setup(client, session, site, make_report) -> tuple[Report, str]:
    """An agent signed in, and one report from a customer with an email; returns it and a CSRF token."""
    await add_staff(session, "agent@shop.example", "agent", [site])
    report = await make_report(site, email="ana@example.com", name="Ana Lima")
    await login(client, "agent@shop.example")
    token = csrf_token((await client.get(f"/staff/reports/{report.id}")).text)
    return report, token


async def mails(session, prefix: str) -> list[OutboxMail]:
    query = select(OutboxMail).where(OutboxMail.dedupe_key.like(f"{prefix}%")).execution_options(populate_existing=True)
    return list((await session.scalars(query)).all())


async def test_agent_moves_a_report_on_and_the_timeline_says_who(client, session, site, make_report):
    report, token = await setup(client, session, site, make_report)
    response = await client.post(
        f"/staff/reports/{report.id}/state",
        data={"state": "acknowledged", "_csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303
    page = (await client.get(f"/staff/reports/{report.id}")).text
    assert "agent moved it to Acknowledged." in text_of(page, '[data-testid="event-state"]')
    back = await client.post(f"/staff/reports/{report.id}/state", data={"state": "new", "_csrf_token": token})
    assert back.status_code == 400
    assert "cannot move to “New”" in back.text
    status = (await client.get(f"/s/{report.status_token}")).text
    assert text_of(status, "h1") == "Seen by our team"


async def test_update_reaches_the_status_page_and_the_customers_inbox(client, session, site, make_report):
    report, token = await setup(client, session, site, make_report)
    text = "We found the parcel at the depot; it leaves today and reaches you tomorrow morning."
    response = await client.post(
        f"/staff/reports/{report.id}/updates", data={"body": text, "_csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303
    assert text in (await client.get(f"/s/{report.status_token}")).text
    [mail] = await mails(session, "update:")
    assert mail.to_addr == "ana@example.com"
    assert text in mail.text_body
    assert "Hi Ana" in mail.text_body
    assert f"{BASE_URL}/s/{report.status_token}" in mail.text_body


async def test_defensive_update_is_held_with_the_findings_and_sent_only_with_a_reason(
    client, session, site, make_report
):
    report, token = await setup(client, session, site, make_report)
    text = "As stated before, our policy is to ship within five days."
    held = await client.post(f"/staff/reports/{report.id}/updates", data={"body": text, "_csrf_token": token})
    assert held.status_code == 422
    findings = text_of(held.text, '[data-testid="findings"] ul')
    assert "“As stated”" in findings
    assert "“our policy”" in findings
    assert one(held.text, "#override_reason")
    assert text_of(held.text, "textarea#body") == text
    assert await mails(session, "update:") == []
    sent = await client.post(
        f"/staff/reports/{report.id}/updates",
        data={"body": text, "override_reason": "Customer asked for the exact policy wording", "_csrf_token": token},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    event = await session.scalar(select(ReportEvent).where(ReportEvent.kind == "update"))
    assert event.override_reason == "Customer asked for the exact policy wording"
    assert "Sent despite the linter" in (await client.get(f"/staff/reports/{report.id}")).text
    assert "Customer asked for" not in (await client.get(f"/s/{report.status_token}")).text
    assert len(await mails(session, "update:")) == 1


async def test_customer_reply_lands_on_the_staff_timeline(client, session, site, make_report):
    report, _ = await setup(client, session, site, make_report)
    reply = await client.post(
        f"/s/{report.status_token}/replies", data={"body": "Thanks! <b>Tomorrow</b> is fine."}, follow_redirects=False
    )
    assert reply.status_code == 303
    page = (await client.get(f"/staff/reports/{report.id}")).text
    replied = one(page, '[data-testid="event-reply"]')
    assert text_of(replied, "strong") == "The customer replied:"
    assert text_of(replied, ".message") == "Thanks! <b>Tomorrow</b> is fine."  # shown as typed, not as markup
    assert every(replied, "b") == []
    empty = await client.post(f"/s/{report.status_token}/replies", data={"body": "   "})
    assert empty.status_code == 400
    assert "Write a message first" in empty.text


async def test_wrap_up_is_sent_once_whatever_the_path_to_closed(client, session, site, make_report):
    report, token = await setup(client, session, site, make_report)
    for state in ("fixed", "closed"):
        await client.post(f"/staff/reports/{report.id}/state", data={"state": state, "_csrf_token": token})
    [wrapup] = await mails(session, "wrapup:")
    assert "I'm sorry again" in wrapup.text_body
    assert "patience" in wrapup.text_body

    other = await make_report(site, email="bo@example.com")
    await client.post(f"/staff/reports/{other.id}/state", data={"state": "closed", "_csrf_token": token})
    assert sorted(m.to_addr for m in await mails(session, "wrapup:")) == ["ana@example.com", "bo@example.com"]


async def test_staff_cannot_act_on_another_sites_report(client, session, site, other_site, make_report):
    _, token = await setup(client, session, site, make_report)
    theirs = await make_report(other_site)
    for path, data in (
        (f"/staff/reports/{theirs.id}/state", {"state": "acknowledged"}),
        (f"/staff/reports/{theirs.id}/updates", {"body": "hi"}),
    ):
        response = await client.post(path, data={**data, "_csrf_token": token}, headers={"accept": "text/html"})
        assert response.status_code == 404
    assert await session.scalar(select(ReportEvent).where(ReportEvent.report_id == theirs.id)) is None


async def test_state_change_without_csrf_token_is_refused(client, session, site, make_report):
    report, _ = await setup(client, session, site, make_report)
    assert (await client.post(f"/staff/reports/{report.id}/state", data={"state": "acknowledged"})).status_code == 403


async def test_the_wrap_up_and_update_mail_read_as_sincere(client, session, site, make_report):
    from portal.domain.lexicon import lint
    from portal.lexicon import load_lexicon

    report, token = await setup(client, session, site, make_report)
    await client.post(f"/staff/reports/{report.id}/state", data={"state": "fixed", "_csrf_token": token})
    [wrapup] = await mails(session, "wrapup:")
    body = re.sub(r"https?://\S+", "", wrapup.text_body)
    assert lint(body, load_lexicon("en")) == []


async def test_assign_to_me_from_the_report_page_and_in_bulk(client, session, site, other_site, make_report):
    report, token = await setup(client, session, site, make_report)
    taken = await client.post(f"/staff/reports/{report.id}/assign", data={"_csrf_token": token}, follow_redirects=False)
    assert taken.status_code == 303
    page = (await client.get(f"/staff/reports/{report.id}")).text
    assert "Assigned to agent" in page
    assert "agent took it." in text_of(page, '[data-testid="event-assign"]')

    second = await make_report(site, description="second")
    theirs = await make_report(other_site, description="theirs")
    bulk = await client.post(
        "/staff/reports/bulk",
        data={
            "ids": [str(report.id), str(second.id), str(theirs.id)],
            "action": "acknowledge",
            "_csrf_token": token,
        },
        follow_redirects=False,
    )
    assert bulk.status_code == 303
    states = dict(
        (await session.execute(select(Report.ref, Report.state).execution_options(populate_existing=True))).all()
    )
    assert states[report.ref] == "acknowledged"
    assert states[second.ref] == "acknowledged"
    assert states[theirs.ref] == "new"  # another site's report is left alone
    await client.post(
        "/staff/reports/bulk", data={"ids": str(second.id), "action": "assign_to_me", "_csrf_token": token}
    )
    mine = (await client.get("/staff?assignee=me", headers={"HX-Request": "true", "HX-Target": "queue-rows"})).text
    assert sorted(texts(mine, '[data-testid="queue-row"] td.desc')) == ["The parcel came two days late.", "second"]
